#!/usr/bin/python3
"""arc_suite.py - the ARC interoperability suite (RFC 8617) against our
verifier, through the real resolver and tests/dns/amdns.py (TAP).

Reads $CONFORMANCE_DIR/arc/arc-draft-validation-tests.yml in place: for
each scenario, its txt-records are served by a DNS server on loopback, its
messages (LF in the file, sent as CRLF) go through tests/conformance/
arc_driver, and each test's chain validation result must equal the
expected cv. A blank expected cv counts as fail: the three tests that have
one (cv_fail_i1_as_cv_fail, cv_fail_i2_as2_fail, cv_fail_i2_as1_fail) are
chains RFC 8617 section 5.2 fails, and python3-dkim, an independent
verifier, says fail for them too. Extra arguments are test ids to run alone.
"""
import os
import subprocess
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dkim_common import SRCDIR, BUILDDIR, Tap, DnsServer, txt_rdata, write_zone, tmpdir  # noqa

DRIVER = os.path.join(BUILDDIR, 'tests', 'conformance', 'arc_driver')
SUITE = os.path.join(os.environ.get('CONFORMANCE_DIR') or
                     os.path.join(SRCDIR, '..', 'shared', 'conformance'),
                     'arc', 'arc-draft-validation-tests.yml')
EXPECT = {'pass': 'pass', 'fail': 'fail', 'none': 'none', '': 'fail'}


def run(port, files):
    p = subprocess.run([DRIVER, '--dns', '127.0.0.1@%d' % port, '--timeout', '2'] + files,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    if p.returncode != 0:
        print('Bail out! arc_driver failed (%d): %s' % (p.returncode, p.stderr.decode()))
        sys.exit(1)
    out = {}
    for line in p.stdout.decode('utf-8', 'replace').splitlines():
        f = line.split('\t')
        out[f[0]] = f
    return out


def main(only):
    if not os.path.exists(SUITE):
        print('1..0 # SKIP skipped: conformance data not found')
        return 0
    tap, work = Tap(), tmpdir()
    with open(SUITE, encoding='utf-8') as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    total = 0
    for k, doc in enumerate(docs):
        tests = {t: v for t, v in doc['tests'].items() if not only or t in only}
        if not tests:
            continue
        zone = os.path.join(work, 'zone%d' % k)
        write_zone(zone, [(n, 'TXT', txt_rdata(r.replace('\n', '')))
                          for n, r in (doc.get('txt-records') or {}).items()])
        files = {}
        for t, v in tests.items():
            path = os.path.join(work, '%s.eml' % t)
            with open(path, 'wb') as out:
                out.write((v.get('message') or '').replace('\r\n', '\n')
                          .replace('\n', '\r\n').encode('utf-8'))
            files[t] = path
        with DnsServer(zone, work) as dns:
            got = run(dns.port, list(files.values()))
        for t, v in tests.items():
            want = EXPECT[str(v.get('cv') or '').strip().lower()]
            row = got.get(files[t], ['', 'missing', '', '', '', '', 'no output'])
            total += 1
            tap.ok(row[1] == want, '%s: cv=%s (%s)' % (t, want, v.get('description', '').strip()),
                   ['got %s: %s' % (row[1], row[6])])
    tap.comment('%d of %d ARC validation tests agree' % (total - tap.failed, total))
    return tap.done()


if __name__ == '__main__':
    sys.exit(main(set(sys.argv[1:])))
