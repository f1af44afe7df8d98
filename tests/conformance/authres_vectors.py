#!/usr/bin/env python3
"""authres_vectors - authres_read_authserv_id()/authres_valid() against the
Authentication-Results vectors of python-authres 1.2.0 and
Mail::AuthenticationResults ($CONFORMANCE_DIR/authres/ar-vectors.jsonl).

Usage: authres_vectors.py DRIVER   (prints TAP, one line per row tested)

Rows where both parsers agree:
  ok=true   our authserv-id equals theirs (case-insensitive, RFC 8601) and
            authres_valid() says valid.
  ok=false  authres_valid() says invalid, like both parsers. The claimed id
            is still read (lenient reading, see authres.h: a malformed
            header that claims our id must still be found as forged): it
            must be the leading token when one is properly delimited,
            computed here by an independent regular expression, else NULL.
Rows where the parsers disagree: when every parser that accepted the row
reports the same authserv-id, ours must equal it (forged-header removal
must find any claim some consumer would believe); the strict validity is
printed as a comment only. Rows with no such id are excluded and counted.
"""
import json
import os
import re
import subprocess
import sys

PERL = 'perl_Mail_AuthenticationResults_2.20230112'
PY = 'python_authres_1.2.0'
FIELD = re.compile(r'^Authentication-Results:', re.I)
# RFC 2045 token, ended by white space, "(", ";" or the end.
CLAIM = re.compile(r"^[ \t]*([A-Za-z0-9!#$%&'*+.^_`{|}~-]+)(?=[ \t\r\n(;]|$)")


def main():
    conf = os.environ.get('CONFORMANCE_DIR', '')
    path = os.path.join(conf, 'authres', 'ar-vectors.jsonl')
    if not conf or not os.path.exists(path):
        print('1..0 # SKIP skipped: conformance data not found')
        return 0
    rows = [json.loads(line) for line in open(path, encoding='utf-8') if line.strip()]
    values = [FIELD.sub('', r['header'], count=1) for r in rows]
    data = b''.join(v.encode('utf-8') + b'\0' for v in values)
    out = subprocess.run([sys.argv[1]], input=data, stdout=subprocess.PIPE,
                         check=True).stdout.decode('ascii').splitlines()
    if len(out) != len(rows):
        print('1..1\nnot ok 1 - driver answered %d of %d rows' % (len(out), len(rows)))
        return 0

    lines, excluded = [], []
    for n, (row, value, answer) in enumerate(zip(rows, values, out), 1):
        valid_s, id_hex = answer.split(' ')
        valid = valid_s == '1'
        got = None if id_hex == '-' else bytes.fromhex(id_hex).decode('utf-8', 'replace')
        perl, py = row[PERL], row[PY]
        shown = json.dumps(value)[:60]
        if row['parsers_agree'] and perl['ok']:
            want = perl['authserv_id']
            good = got is not None and got.lower() == want.lower() and valid
            lines.append((good, 'row %d %s: id=%r valid=%s (parsers: id=%r, valid)'
                          % (n, shown, got, valid, want), None))
        elif row['parsers_agree']:
            m = CLAIM.match(value)
            want = m.group(1) if m else None
            good = got == want and not valid
            lines.append((good, 'row %d %s: valid=%s (parsers: invalid), claimed id=%r '
                          '(leading token: %r)' % (n, shown, valid, got, want), None))
        else:
            ids = {r['authserv_id'].lower() for r in (perl, py) if r.get('ok')}
            if len(ids) != 1:
                excluded.append(n)
                continue
            want = ids.pop()
            who = '/'.join(name for name, r in (('perl', perl), ('python', py)) if r.get('ok'))
            good = got is not None and got.lower() == want
            lines.append((good, 'row %d %s: claimed id=%r (parsers disagree; accepted by %s '
                          'with id %r)' % (n, shown, got, who, want),
                          'row %d: strict RFC 8601 syntax: %s'
                          % (n, 'valid' if valid else 'invalid')))

    print('1..%d' % len(lines))
    for i, (good, desc, note) in enumerate(lines, 1):
        # a "#" in the description would start a TAP directive
        print('%s %d - %s' % ('ok' if good else 'not ok', i, desc.replace('#', '%23')))
        if note:
            print('# %s' % note)
    print('# %d row(s) excluded (parsers disagree, no common authserv-id): %s'
          % (len(excluded), ', '.join(map(str, excluded)) or 'none'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
