#!/usr/bin/env python3
"""mankeys.py - the configuration keys of the code, the manual and the sample

Used by tests/doc/man.sh. Each command prints one line per key or per
problem, so the caller compares lists or expects no output:

  table CONFIG_C            keys of config_keys[] in src/config/config.c
  man MAN5                  keys documented in authmilter.conf(5): the
                            items ".It Cm KEY ..." (one line per item, so a
                            key documented twice is printed twice)
  sample CONF               dotted keys of the sample configuration, set or
                            in a commented-out setting ("# name = value;")
                            inside their group
  man-values CONFIG_C MAN5  each item's type and range (".It Cm KEY Pq
                            TYPE, RANGE") and default (the two lines after
                            it: "Default:" and ".Li VALUE", the value as
                            authmilter -p prints it) that differ from the
                            table
  man-defaults MAN5         "KEY = DEFAULT;" for each item of the page, as
                            authmilter -p prints an empty configuration
  sample-values CONFIG_C CONF
                            each value set in the sample that is not the
                            table's default

The C table is read by a small tokenizer: each entry is
{"path", KT_TYPE, OFF(field), def_str, def_num, min, max, names}; adjacent
string literals are joined and NULL is None. Exit status 2 when a file
cannot be read as expected.
"""
import re
import sys

C_TOKEN = re.compile(r'''
    (?P<comment>/\*.*?\*/|//[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<char>'(?:[^'\\\n]|\\.)*')
  | (?P<word>[A-Za-z_0-9.]+)
  | (?P<space>\s+)
  | (?P<punct>.)
''', re.S | re.X)

C_ESCAPES = {'n': '\n', 't': '\t', 'r': '\r', '\\': '\\', '"': '"', "'": "'", '0': '\0'}


def die(msg):
    sys.stderr.write('mankeys.py: %s\n' % msg)
    sys.exit(2)


def c_tokens(text):
    out = []
    for m in C_TOKEN.finditer(text):
        kind = m.lastgroup
        if kind in ('comment', 'space'):
            continue
        out.append((kind, m.group()))
    return out


def c_unquote(lit):
    body, out, i = lit[1:-1], [], 0
    while i < len(body):
        c = body[i]
        if c == '\\' and i + 1 < len(body):
            i += 1
            out.append(C_ESCAPES.get(body[i], body[i]))
        else:
            out.append(c)
        i += 1
    return ''.join(out)


def c_number(text):
    text = text.strip()
    if re.fullmatch(r'0[0-7]+', text):
        return float(int(text, 8))
    if re.fullmatch(r'[0-9.eE+\-*/() ]+', text):
        return float(eval(text, {'__builtins__': {}}))  # digits and operators only
    die('not a number in the key table: %r' % text)


def c_value(toks):
    """One initializer field: a string (joined), None for NULL, or text."""
    if toks and all(k == 'string' for k, _ in toks):
        return ''.join(c_unquote(t) for _, t in toks)
    text = ' '.join(t for _, t in toks)
    return None if text == 'NULL' else text


def c_braced(toks, i):
    """Tokens inside the braces opening at toks[i]; and the index after."""
    depth, j = 0, i
    while j < len(toks):
        if toks[j][1] == '{':
            depth += 1
        elif toks[j][1] == '}':
            depth -= 1
            if depth == 0:
                return toks[i + 1:j], j + 1
        j += 1
    die('unbalanced braces')


def c_split(toks):
    """Split at commas outside parentheses and braces."""
    fields, cur, depth = [], [], 0
    for t in toks:
        if t[1] in '({':
            depth += 1
        elif t[1] in ')}':
            depth -= 1
        if t[1] == ',' and depth == 0:
            fields.append(cur)
            cur = []
        else:
            cur.append(t)
    if cur:
        fields.append(cur)
    return fields


def read_table(path):
    try:
        text = open(path, encoding='utf-8').read()
    except OSError as e:
        die(str(e))
    toks = c_tokens(text)
    names = {}
    table = None
    for i, (kind, t) in enumerate(toks):
        # NAME [ ] = {
        if (t == '[' and i + 3 < len(toks) and toks[i + 1][1] == ']' and toks[i + 2][1] == '='
                and toks[i + 3][1] == '{'):
            name = toks[i - 1][1]
            body, _ = c_braced(toks, i + 3)
            if name == 'config_keys':
                table = body
            elif all(k == 'string' or v in (',', 'NULL') for k, v in body):
                names[name] = [c_unquote(v) for k, v in body if k == 'string']
    if table is None:
        die('%s: no config_keys[] = { ... } found' % path)
    keys, i = [], 0
    while i < len(table):
        if table[i][1] == ',':
            i += 1
            continue
        if table[i][1] != '{':
            die('%s: config_keys[]: expected "{" at %r' % (path, table[i][1]))
        body, i = c_braced(table, i)
        f = [c_value(x) for x in c_split(body)]
        if len(f) != 8 or not isinstance(f[0], str):
            die('%s: config_keys[]: an entry is not {path, type, offset, def_str, '
                'def_num, min, max, names}: %r' % (path, f))
        key = {'path': f[0], 'type': f[1], 'def_str': f[3], 'def_num': c_number(f[4]),
               'min': c_number(f[5]), 'max': c_number(f[6]), 'names': None}
        if f[1] == 'KT_ENUM':
            if f[7] not in names:
                die('%s: %s: no array %s of names' % (path, f[0], f[7]))
            key['names'] = names[f[7]]
        keys.append(key)
    if not keys:
        die('%s: config_keys[] is empty' % path)
    return keys


# ---- values, written as authmilter -p writes them (config_dump.c)

def dump_string(s):
    out = []
    for c in s:
        if c in '"\\':
            out.append('\\' + c)
        elif ord(c) < 0x20 or ord(c) == 0x7f:
            out.append('\\x%02x' % ord(c))
        else:
            out.append(c)
    return '"' + ''.join(out) + '"'


def dump_float(v):
    s = '%g' % v
    return s if re.search('[.en]', s) else s + '.0'


def dump_list(items):
    return '[ ' + ', '.join(dump_string(x) for x in items) + ' ]' if items else '[]'


def table_default(k):
    t = k['type']
    if t == 'KT_FLOAT':
        return dump_float(k['def_num'])
    if t == 'KT_UINT':
        return '%d' % k['def_num']
    if t == 'KT_BOOL':
        return 'true' if k['def_num'] else 'false'
    if t == 'KT_STRLIST':
        return dump_list(k['def_str'].split(',') if k['def_str'] else [])
    if t == 'KT_MODE':
        return dump_string('%04o' % int(k['def_str'], 8))
    return dump_string(k['def_str'])


def table_kind(k):
    """The type and range as ".It Cm KEY Pq ..." gives them."""
    t, lo, hi = k['type'], k['min'], k['max']
    if t == 'KT_FLOAT':
        return 'number, %g to %g' % (lo, hi)
    if t == 'KT_UINT':
        return 'integer, %d to %d' % (lo, hi)
    if t == 'KT_BOOL':
        return 'boolean'
    if t == 'KT_ENUM':
        return 'keyword: ' + ', '.join(k['names'])
    if t == 'KT_STRING':
        return 'string, %d to %d bytes' % (lo, hi)
    if t == 'KT_STRLIST':
        return 'list of strings, at most %d' % hi
    if t == 'KT_MODE':
        return 'octal mode string'
    die('%s: unknown type %s' % (k['path'], t))


# ---- the manual page

MAN_ITEM = re.compile(r'^\.It Cm (\S+)(?: Pq (.*))?$')
MDOC_ESCAPES = [('\\(dq', '"'), ('\\(aq', "'"), ('\\e', '\\'), ('\\-', '-'), ('\\ ', ' '),
                ('\\&', '')]


def mdoc_text(s):
    for esc, c in MDOC_ESCAPES:
        s = s.replace(esc, c)
    return s


def read_man(path):
    """[(key, kind, default or None, line number)]"""
    try:
        lines = open(path, encoding='utf-8').read().split('\n')
    except OSError as e:
        die(str(e))
    items = []
    for n, line in enumerate(lines):
        m = MAN_ITEM.match(line)
        if not m:
            continue
        default = None
        nxt = lines[n + 1:n + 3]
        if len(nxt) == 2 and nxt[0] == 'Default:':
            d = re.match(r'^\.Li (?:"((?:[^"]|"")*)"|(\S+))(?: [.,;:])?$', nxt[1])
            if d:
                raw = d.group(1).replace('""', '"') if d.group(1) is not None else d.group(2)
                default = mdoc_text(raw)
        items.append((m.group(1), mdoc_text(m.group(2) or ''), default, n + 1))
    return items


# ---- the sample configuration (libconfig)

CONF_TOKEN = re.compile(r'''
    (?P<comment>\#[^\n]*|//[^\n]*|/\*.*?\*/)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<name>[A-Za-z*][-A-Za-z0-9_*]*)
  | (?P<number>[-+]?(?:0[xX][0-9A-Fa-f]+|[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)L{0,2})
  | (?P<space>\s+)
  | (?P<punct>[=:;,{}\[\]()])
  | (?P<bad>.)
''', re.S | re.X)

COMMENTED = re.compile(r'^\s*(?:#|//)\s*([A-Za-z*][-A-Za-z0-9_*]*\s*[=:]\s*.*?;)\s*(?:#.*)?$')


def conf_tokens(text):
    out = []
    for m in CONF_TOKEN.finditer(text):
        if m.lastgroup == 'space':
            continue
        if m.lastgroup == 'bad':
            raise ValueError('unexpected %r' % m.group())
        out.append((m.lastgroup, m.group()))
    return out


def conf_unquote(lit):
    esc = {'n': '\n', 't': '\t', 'r': '\r', 'f': '\f', '\\': '\\', '"': '"'}
    return re.sub(r'\\(x[0-9A-Fa-f]{2}|.)',
                  lambda m: chr(int(m.group(1)[1:], 16)) if m.group(1)[0] == 'x'
                  else esc.get(m.group(1), m.group(1)), lit[1:-1])


def conf_value(toks, i):
    """(value, next index): a string, a number or bool (as text), a list."""
    kind, t = toks[i]
    if kind == 'string':
        s = ''
        while i < len(toks) and toks[i][0] == 'string':
            s += conf_unquote(toks[i][1])
            i += 1
        return s, i
    if t in '[(':
        close, items, i = ']' if t == '[' else ')', [], i + 1
        while toks[i][1] != close:
            if toks[i][1] == ',':
                i += 1
                continue
            v, i = conf_value(toks, i)
            items.append(v)
        return items, i + 1
    if kind in ('number', 'name'):
        return t, i + 1
    raise ValueError('unexpected %r' % t)


def read_sample(path):
    """[(dotted key, value, 'set' or 'commented')]"""
    try:
        text = open(path, encoding='utf-8').read()
        toks = conf_tokens(text)
    except (OSError, ValueError) as e:
        die('%s: %s' % (path, e))
    out, groups, i = [], [], 0

    def dotted(name):
        return '.'.join(groups + [name])

    try:
        while i < len(toks):
            kind, t = toks[i]
            if kind == 'comment':
                m = COMMENTED.match(t)
                if m:
                    try:
                        ct = conf_tokens(m.group(1))
                        v, j = conf_value(ct, 2)
                        if j == len(ct) - 1 and ct[j][1] == ';':
                            out.append((dotted(ct[0][1]), v, 'commented'))
                    except (ValueError, IndexError):
                        pass  # prose that looks like a setting
                i += 1
            elif t == '}':
                if not groups:
                    raise ValueError('unbalanced }')
                groups.pop()
                i += 1
            elif t in (';', ','):
                i += 1
            elif kind == 'name' and toks[i + 1][1] in '=:':
                if toks[i + 2][1] == '{':
                    groups.append(t)
                    i += 3
                else:
                    v, i = conf_value(toks, i + 2)
                    out.append((dotted(t), v, 'set'))
            else:
                raise ValueError('unexpected %r' % t)
    except (ValueError, IndexError) as e:
        die('%s: %s' % (path, e))
    if groups:
        die('%s: group %s is not closed' % (path, '.'.join(groups)))
    return out


def sample_dump(k, v):
    """A sample value written as authmilter -p would write it."""
    t = k['type']
    try:
        if t == 'KT_STRLIST':
            return dump_list(v) if isinstance(v, list) else repr(v)
        if isinstance(v, list):
            return repr(v)
        if t == 'KT_FLOAT':
            return dump_float(float(v))
        if t == 'KT_UINT':
            return '%d' % int(v, 0)
        if t == 'KT_BOOL':
            return v.lower()
        return dump_string(v)
    except ValueError:
        return repr(v)


def main(argv):
    if len(argv) < 3:
        die(__doc__)
    cmd = argv[1]
    if cmd == 'table':
        for k in read_table(argv[2]):
            print(k['path'])
    elif cmd == 'man':
        for key, _, _, _ in read_man(argv[2]):
            print(key)
    elif cmd == 'sample':
        for key, _, _ in read_sample(argv[2]):
            print(key)
    elif cmd == 'man-defaults':
        for key, _, default, _ in read_man(argv[2]):
            print('%s = %s;' % (key, default))
    elif cmd == 'man-values' and len(argv) == 4:
        table = {k['path']: k for k in read_table(argv[2])}
        for key, kind, default, line in read_man(argv[3]):
            k = table.get(key)
            if k is None:
                continue  # the key lists report it
            if kind != table_kind(k):
                print('%s (line %d): type and range "%s", table: "%s"'
                      % (key, line, kind, table_kind(k)))
            if default is None:
                print('%s (line %d): no "Default:" and ".Li VALUE" lines after the item'
                      % (key, line))
            elif default != table_default(k):
                print('%s (line %d): default %s, table: %s'
                      % (key, line, default, table_default(k)))
    elif cmd == 'sample-values' and len(argv) == 4:
        table = {k['path']: k for k in read_table(argv[2])}
        for key, v, how in read_sample(argv[3]):
            k = table.get(key)
            if k is None or how != 'set':
                continue
            if sample_dump(k, v) != table_default(k):
                print('%s = %s, table default: %s' % (key, sample_dump(k, v), table_default(k)))
    else:
        die(__doc__)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
