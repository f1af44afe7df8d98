#!/usr/bin/python3
# dmarc_eval_scenarios.py - dmarc-eval-scenarios.tsv end to end through DNS
#
# Every scenario's fake_dns records (name=record, ^-separated) go into one
# zone file in a temporary directory; tests/dns/amdns.py serves it on a free
# loopback port; tests/conformance/dmarc_eval_driver evaluates each row
# through the real resolver. Inputs: the passing DKIM d= domains, and the
# one SPF identity DMARC may use: MAIL FROM (scope mfrom) when there is one,
# HELO only for a null sender; the HELO identity never stands in for a
# MAIL FROM (rows "helo-not-used" and "helo-stored-last"). Checked: DMARC
# result and disposition (none unless fail, then the applied policy), with
# each discovery method (RFC 9989 tree walk, RFC 7489 public suffix list):
# the scenarios publish records at the organizational domains, so both agree.
# Prints TAP; skips when the conformance data is missing.
import os, subprocess, sys, tempfile, time

top_srcdir = os.environ.get('top_srcdir', os.path.join(os.path.dirname(__file__), '..', '..'))
top_builddir = os.environ.get('top_builddir', top_srcdir)
conf = os.environ.get('CONFORMANCE_DIR', os.path.join(top_srcdir, '..', 'shared', 'conformance'))
tsv = os.path.join(conf, 'dmarc', 'dmarc-eval-scenarios.tsv')
driver = os.path.join(top_builddir, 'tests', 'conformance', 'dmarc_eval_driver')


def c_quote(s):
    out = ''.join('\\' + ch if ch in '"\\' else ch if 32 <= ord(ch) < 127
                  else '\\%03o' % ord(ch) for ch in s)
    return '"' + out + '"'


def load_rows():
    rows = []
    with open(tsv, encoding='utf-8') as f:
        for line in f:
            if line.startswith('#') or not line.strip():
                continue
            f_ = line.rstrip('\n').split('\t')
            f_ += [''] * (9 - len(f_))
            rows.append(dict(id=f_[0], frm=f_[1], dkim=f_[2], spf=f_[3], dns=f_[4],
                             result=f_[5], disp=f_[6]))
    return rows


def zone_lines(rows):
    lines = []
    for r in rows:
        for item in filter(None, r['dns'].split('^')):
            name, _, rec = item.partition('=')
            lines.append('%s\tTXT\t%s' % (name.strip(), c_quote(rec)))
    return lines


def start_dns(zone, tmp):
    ready = os.path.join(tmp, 'ready')
    proc = subprocess.Popen([sys.executable, os.path.join(top_srcdir, 'tests', 'dns', 'amdns.py'),
                             '--listen', '127.0.0.1:0', '--zone', zone, '--ready-file', ready],
                            stderr=open(os.path.join(tmp, 'dns.err'), 'w'))
    for _ in range(100):
        if os.path.exists(ready) and os.path.getsize(ready) > 0:
            return proc, open(ready).read().split()[1]
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    print('Bail out! DNS test server did not start: ' + open(os.path.join(tmp, 'dns.err')).read())
    sys.exit(1)


def inputs(r):
    args = ['--from', r['frm']]
    for item in filter(None, r['dkim'].split(',')):
        d, _, res = item.rpartition(':')
        if res == 'pass':
            args += ['--dkim', d]
    spf = [item.split(':') for item in filter(None, r['spf'].split(','))]
    mfrom = [s for s in spf if s[1] == 'mfrom']
    use = mfrom[0] if mfrom else next((s for s in spf if s[1] == 'helo'), None)
    if use:
        args += ['--spf', '%s:%s' % (use[0], use[2])]
    return args


def main():
    if not os.path.exists(tsv):
        print('1..0 # SKIP skipped: conformance data not found (%s)' % tsv)
        return 0
    rows = load_rows()
    with tempfile.TemporaryDirectory(prefix='authmilter-dmarc.') as tmp:
        zone = os.path.join(tmp, 'zone')
        with open(zone, 'w') as f:
            f.write('\n'.join(zone_lines(rows)) + '\n')
        proc, port = start_dns(zone, tmp)
        try:
            methods = ('treewalk', 'psl')
            print('1..%d' % (len(rows) * len(methods)))
            failed = n = 0
            for method, r in ((m, r) for m in methods for r in rows):
                n += 1
                cmd = [driver, '--ns', '127.0.0.1@' + port, '--discovery', method] + inputs(r)
                out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
                kv = dict(p.split('=', 1) for p in out.stdout.split('\n')[0].split() if '=' in p)
                got = (kv.get('result'), kv.get('disposition'))
                ok = got == (r['result'], r['disp'])
                failed += not ok
                print('%sok %d - %s [%s]: %s/%s (expected %s/%s)' % ('' if ok else 'not ', n,
                      r['id'], method, got[0], got[1], r['result'], r['disp']))
                if not ok:
                    print('#   %s\n#   %s' % (' '.join(cmd), (out.stdout + out.stderr).replace('\n', '\n#   ')))
        finally:
            proc.terminate()
            proc.wait()
    return 1 if failed else 0


sys.exit(main())
