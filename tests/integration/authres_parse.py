#!/usr/bin/env python3
"""authres_parse - authres_format() output read back by python3-authres.

Usage: authres_parse.py DRIVER   (prints TAP, one line per verdict)

The verdict table is built here (every SPF x HELO result, every DKIM
result, 0..7 signatures, DMARC results and policies, author statuses,
hostile values in every field) and sent to the C driver, which prints the
formatted field body. Each body is parsed with Debian's python3-authres
1.2.0 both as written (folded with LF + TAB, which its FWS accepts) and
unfolded, and the parse must equal what the verdict says: same authserv-id,
the same results in order (no extra, none missing), reasons and properties
(header.d, smtp.mailfrom, ...) equal to the sanitized values (authres.h:
first 256 bytes, bytes outside printable ASCII as "?"), quoted-pairs
resolved. The C side also checks authres_valid() and that the authserv-id
reads back. python-authres 1.2.0 drops a quoted property value that is not
the last property of its result (it only accepts a quoted pvalue followed
by ";" or the end); authres writes quoted values last, and where a result
has more than one, the earlier ones are expected to be missing and the line
says so.
"""
import re
import subprocess
import sys

import authres

VALUE_MAX = 256
FOLD = 78
SPF = ['none', 'neutral', 'pass', 'fail', 'softfail', 'temperror', 'permerror']
DKIM = ['none', 'pass', 'fail', 'neutral', 'policy', 'temperror', 'permerror']
DMARC = ['none', 'pass', 'fail', 'temperror', 'permerror']
POLICY = [None, 'none', 'quarantine', 'reject']  # index = enum dmarc_policy
TOKEN = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`{|}~-]+\Z")
LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+^_`{|}~-]+)*\Z")
LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\Z")

HOSTILE = [b'example.net(.example.com', b'a;dkim=pass', b'x"y', b'\r\nX-Injected: 1',
           b'\xff\xfe8-bit \xc3\xa9', b'', b'a\\', b'\\"', b'(', b')', b'x; dmarc=pass',
           b'header.d=evil.example', b'a b  c', b'foo\n\tbar', b'@', b'user@', b'\t',
           b'reason=x', b'ex (c) policy.dmarc=none', b'user@example.com',
           b'"quoted local"@example.com', b'Qgi/FoC0', b'a' * 300,
           b'long value ' * 12]


def sanitize(b):
    return ''.join(chr(c) if 0x20 <= c < 0x7f else '?' for c in b[:VALUE_MAX])


def is_bare(s):
    if '@' not in s:
        return bool(TOKEN.match(s))
    local, _, domain = s.partition('@')
    if local and not LOCAL.match(local):
        return False
    return all(LABEL.match(lab) for lab in domain.split('.'))


def enc(b):
    return '-' if b is None else 'x' + b.hex()


class Case:
    def __init__(self, name, **kw):
        self.name = name
        self.id = b'mx.example.org'
        self.spf = (2, b'user@example.com', b'example.com', None)
        self.helo = (2, b'mail.example.com', None)
        self.author = 0
        self.header_from = b'example.com'
        self.dmarc = dict(result=1, have=1, p=3, sp=0, np=0, pct=100, t=0,
                          policy=3, applied=1, reason=None)
        self.dkim = [sig(1)]
        for k, v in kw.items():
            setattr(self, k, v)

    def line(self):
        d = self.dmarc
        f = [enc(self.id), str(self.spf[0]), enc(self.spf[1]), enc(self.spf[2]),
             enc(self.spf[3]), str(self.helo[0]), enc(self.helo[1]), enc(self.helo[2]),
             str(self.author), enc(self.header_from), str(d['result']), str(d['have']),
             str(d['p']), str(d['sp']), str(d['np']), str(d['pct']), str(d['t']),
             str(d['policy']), str(d['applied']), enc(d['reason']), str(len(self.dkim))]
        for s in self.dkim:
            f += [str(s['result']), enc(s['d']), enc(s['s']), enc(s['a']), enc(s['b']),
                  enc(s['reason']), str(s['bits']), str(s['t']), str(s['l'])]
        return ' '.join(f)

    def expected(self):
        """[(method, result, reason, [(ptype, property, value)])] in order."""
        out = []
        res, ident, dom, reason = self.spf
        out.append(result('spf', SPF[res], reason if res != 2 else None,
                          [('smtp', 'mailfrom', ident if ident is not None else dom)]))
        res, ident, reason = self.helo
        if ident is not None:
            out.append(result('spf', SPF[res], reason if res != 2 else None,
                              [('smtp', 'helo', ident)]))
        for s in self.dkim[:16]:
            out.append(result('dkim', DKIM[s['result']], s['reason'] if s['result'] != 1 else None,
                              [('header', 'd', s['d']), ('header', 's', s['s']),
                               ('header', 'a', s['a']), ('header', 'b', s['b'])]))
        if not self.dkim:
            out.append(('dkim', 'none', None, []))
        d = self.dmarc
        props = [('header', 'from', self.header_from)]
        if d['have']:
            pol = POLICY[d['applied'] if d['result'] == 2 else d['policy']]
            if pol:
                props.append(('policy', 'dmarc', pol.encode()))
        out.append(result('dmarc', DMARC[d['result']],
                          d['reason'] if d['result'] != 1 else None, props))
        return out


def sig(res, d=b'example.com', s=b'sel1', a=b'rsa-sha256', b=b'abcdEFGH', reason=None,
        bits=2048, t=0, l=-1):
    return dict(result=res, d=d, s=s, a=a, b=b, reason=reason, bits=bits, t=t, l=l)


def result(method, res, reason, props):
    """Expected result; properties unquoted-first as authres writes them."""
    props = [(t, n, sanitize(v)) for t, n, v in props if v is not None]
    bare = [p for p in props if is_bare(p[2])]
    quoted = [p for p in props if not is_bare(p[2])]
    return (method, res, sanitize(reason) if reason else None, bare + quoted)


def cases():
    out = []
    for s in range(7):
        for h in range(7):
            out.append(Case('spf=%s helo=%s' % (SPF[s], SPF[h]),
                            spf=(s, b'user@example.com', b'example.com', b'spf reason %d' % s),
                            helo=(h, b'mail.example.com', b'helo reason')))
        out.append(Case('spf=%s, no HELO identity' % SPF[s],
                        spf=(s, None, b'example.com', None), helo=(0, None, None)))
    out.append(Case('spf without identity or domain', spf=(0, None, None, None)))
    for n in range(8):
        out.append(Case('%d DKIM signatures' % n,
                        dkim=[sig(k % 7, d=b'd%d.example' % k, s=b's%d' % k, reason=b'r %d' % k,
                                  bits=[0, 512, 1024, 2048][k % 4], t=k % 2, l=k * 10 - 1)
                              for k in range(n)]))
    for r in range(7):
        out.append(Case('dkim=%s with reason' % DKIM[r],
                        dkim=[sig(r, reason=b'why ' + DKIM[r].encode())]))
    out.append(Case('dkim signature with NULL fields', dkim=[sig(2, d=None, s=None, a=None,
                                                                    b=None)]))
    out.append(Case('18 DKIM signatures (16 listed)', dkim=[sig(1)] * 18))
    for r in range(5):
        for have in (0, 1):
            for p, sp, np, pct, t, pol, app in ((3, 0, 0, 100, 0, 3, 3), (2, 3, 1, 50, 1, 2, 1),
                                                (1, 1, 0, 0, 0, 1, 1), (3, 2, 3, 100, 1, 3, 2),
                                                (0, 0, 0, 100, 0, 0, 0)):
                out.append(Case('dmarc=%s record=%d p=%d sp=%d np=%d policy=%d applied=%d'
                                % (DMARC[r], have, p, sp, np, pol, app),
                                dmarc=dict(result=r, have=have, p=p, sp=sp, np=np, pct=pct, t=t,
                                           policy=pol, applied=app, reason=b'dmarc why')))
    out.append(Case('two quoted values in one result',
                    dkim=[sig(2, d=b'a b.example', s=b's"1', b=b'ab/c', reason=b'x')]))
    for a in range(5):
        out.append(Case('author status %d' % a, author=a,
                        header_from=b'example.com' if a == 0 else None))
    for i, h in enumerate(HOSTILE):
        for field in ('spf identity', 'spf reason', 'helo identity', 'helo reason', 'header.from',
                      'dmarc reason', 'dkim d', 'dkim s', 'dkim a', 'dkim b', 'dkim reason'):
            c = Case('hostile %d %r in %s' % (i, h[:30], field))
            c.spf = (3, b'user@example.com', b'example.com', b'spf says no')
            c.helo = (3, b'mail.example.com', b'helo says no')
            c.dmarc = dict(c.dmarc, result=2, reason=b'dmarc says no')
            c.dkim = [sig(2, reason=b'dkim says no')]
            if field == 'spf identity':
                c.spf = (3, h, b'example.com', b'x')
            elif field == 'spf reason':
                c.spf = (3, b'u@example.com', b'example.com', h)
            elif field == 'helo identity':
                c.helo = (3, h, b'x')
            elif field == 'helo reason':
                c.helo = (3, b'mail.example.com', h)
            elif field == 'header.from':
                c.header_from = h
            elif field == 'dmarc reason':
                c.dmarc['reason'] = h
            else:
                c.dkim[0][{'dkim d': 'd', 'dkim s': 's', 'dkim a': 'a', 'dkim b': 'b',
                           'dkim reason': 'reason'}[field]] = h
            out.append(c)
    return out


def unq(v):
    return None if v is None else re.sub(r'\\(.)', r'\1', v, flags=re.S)


def parsed(value):
    h = authres.AuthenticationResultsHeader.parse('Authentication-Results:' + value)
    return h.authserv_id, [(r.method, r.result, unq(r.reason),
                            [(p.type, p.name, unq(p.value)) for p in r.properties])
                           for r in h.results]


def python_view(expected):
    """What python-authres 1.2.0 returns: of the quoted (last) properties of
    a result only the last one survives. Returns (view, dropped)."""
    view, dropped = [], 0
    for m, r, reason, props in expected:
        bare = [p for p in props if is_bare(p[2])]
        quoted = [p for p in props if not is_bare(p[2])]
        dropped += max(len(quoted) - 1, 0)
        view.append((m, r, reason, bare + quoted[-1:]))
    return view, dropped


def layout_problems(value):
    """Line breaks must be LF + TAB; a line may pass the fold column only
    when it holds a single part; no fold inside a quoted-string."""
    probs = []
    if re.search(r'\n(?!\t)|\r|[^\t\n\x20-\x7e]', value):
        probs.append('bad line break or byte')
    col = len('Authentication-Results:')
    for n, line in enumerate(value.split('\n')):
        outside = re.sub(r'"(?:\\.|[^"\\])*"', '""', line)
        if outside.count('"') % 2:
            probs.append('fold inside quotes on line %d' % n)
        if n > 0 and col + len(line) > FOLD and ' ' in outside.strip():
            probs.append('line %d is %d columns' % (n, col + len(line)))
        col = 0
    return probs


def main():
    table = cases()
    data = ''.join(c.line() + '\n' for c in table).encode('ascii')
    out = subprocess.run([sys.argv[1]], input=data, stdout=subprocess.PIPE,
                         check=True).stdout.decode('ascii').splitlines()
    print('1..%d' % len(table))
    if len(out) != len(table):
        print('# driver answered %d of %d verdicts' % (len(out), len(table)))
    total_dropped = 0
    for n, c in enumerate(table, 1):
        desc = c.name.replace('#', '%23')
        if n > len(out):
            print('not ok %d - %s: no output from the driver' % (n, desc))
            continue
        hexval, valid, idhex = out[n - 1].split(' ')
        value = bytes.fromhex(hexval).decode('ascii')
        problems = []
        if valid != '1':
            problems.append('authres_valid() says invalid')
        if idhex == '-' or bytes.fromhex(idhex) != c.id:
            problems.append('authserv-id reads back as %r' % idhex)
        problems += layout_problems(value)
        want, dropped = python_view(c.expected())
        for variant, text in (('folded', value), ('unfolded', value.replace('\n', ''))):
            try:
                sid, got = parsed(text)
            except Exception as e:  # noqa: BLE001 - any parse failure is the finding
                problems.append('%s: python-authres: %s' % (variant, e))
                continue
            if sid != c.id.decode().lower():
                problems.append('%s: authserv-id %r' % (variant, sid))
            if got != want:
                problems.append('%s: parsed %r, want %r' % (variant, got, want))
        total_dropped += dropped
        note = ' (python-authres drops %d quoted value(s))' % dropped if dropped else ''
        if problems:
            print('not ok %d - %s%s' % (n, desc, note))
            print('# value: %r' % value)
            for p in problems:
                print('#   %s' % p)
        else:
            print('ok %d - %s%s' % (n, desc, note))
    print('# quoted property values python-authres 1.2.0 could not return: %d' % total_dropped)
    return 0


if __name__ == '__main__':
    sys.exit(main())
