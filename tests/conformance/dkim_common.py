# dkim_common.py - helpers shared by the DKIM conformance and integration
# tests: TAP output, zone files for tests/dns/amdns.py, starting that server,
# and running the C driver (tests/conformance/dkim_driver).
import os
import subprocess
import sys
import tempfile
import time

SRCDIR = os.environ.get('top_srcdir') or os.path.abspath(
    os.path.join(os.path.dirname(__file__), '..', '..'))
BUILDDIR = os.environ.get('top_builddir') or SRCDIR
DRIVER = os.path.join(BUILDDIR, 'tests', 'conformance', 'dkim_driver')
AMDNS = os.path.join(SRCDIR, 'tests', 'dns', 'amdns.py')

FIELDS = ('file', 'index', 'result', 'd', 's', 'a', 'bits', 'testing', 'l', 'b', 'reason')


class Tap:
    """Collects TAP lines; prints the plan first when done()."""

    def __init__(self):
        self.lines = []
        self.n = 0
        self.failed = 0

    def ok(self, cond, desc, diag=None, todo=None):
        self.n += 1
        line = '%s %d - %s' % ('ok' if cond else 'not ok', self.n, desc)
        if todo:
            line += ' # TODO ' + todo
        elif not cond:
            self.failed += 1
        self.lines.append(line)
        for d in (diag or []) if not cond else []:
            self.lines.append('#   ' + d)

    def is_(self, got, expected, desc):
        self.ok(got == expected, desc, ['got:      %r' % (got,), 'expected: %r' % (expected,)])

    def comment(self, text):
        self.lines.append('# ' + text)

    def done(self):
        print('1..%d' % self.n)
        for line in self.lines:
            print(line)
        sys.stdout.flush()
        return 0


def txt_rdata(value):
    """A zone-file TXT rdata: one double-quoted, C-escaped string."""
    out = []
    for b in value.encode('utf-8', 'surrogateescape'):
        c = chr(b)
        if c in '"\\':
            out.append('\\' + c)
        elif 32 <= b < 127:
            out.append(c)
        else:
            out.append('\\%03o' % b)
    return '"' + ''.join(out) + '"'


def write_zone(path, records):
    """records: (name, type, rdata) triples, rdata already in zone syntax."""
    with open(path, 'w') as f:
        for name, rtype, rdata in records:
            f.write('%s\t%s\t%s\n' % (name, rtype, rdata))


class DnsServer:
    """tests/dns/amdns.py on a free loopback port, for the life of a with."""

    def __init__(self, zone, tmpdir):
        self.zone = zone
        self.tmpdir = tmpdir
        self.proc = None
        self.port = None

    def __enter__(self):
        ready = os.path.join(self.tmpdir, 'dns.ready')
        err = open(os.path.join(self.tmpdir, 'dns.err'), 'w')
        self.proc = subprocess.Popen([sys.executable, AMDNS, '--listen', '127.0.0.1:0',
                                      '--zone', self.zone, '--ready-file', ready],
                                     stdout=subprocess.DEVNULL, stderr=err)
        for _ in range(200):
            if os.path.exists(ready) and os.path.getsize(ready) > 0:
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        else:
            self.proc.kill()
        if self.proc.poll() is not None or not os.path.exists(ready):
            with open(os.path.join(self.tmpdir, 'dns.err')) as f:
                print('Bail out! DNS test server did not start: ' + f.read().strip())
            sys.exit(1)
        with open(ready) as f:
            self.port = int(f.readline().split()[1])
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def run_driver(port, files, *args, timeout=2.0):
    """Runs the driver; returns {file: [row dict, ...]} and the elapsed time."""
    cmd = [DRIVER, '--dns', '127.0.0.1@%d' % port, '--timeout', str(timeout)]
    cmd += list(args) + list(files)
    t0 = time.time()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    elapsed = time.time() - t0
    if p.returncode != 0:
        print('Bail out! dkim_driver failed (%d): %s' % (p.returncode,
                                                        p.stderr.decode(errors='replace')))
        sys.exit(1)
    rows = {}
    for line in p.stdout.decode('utf-8', 'replace').splitlines():
        parts = line.split('\t')
        if len(parts) == 3:
            rows.setdefault(parts[0], [])
            continue
        rows.setdefault(parts[0], []).append(dict(zip(FIELDS, parts)))
    return rows, elapsed


def tmpdir():
    return tempfile.mkdtemp(prefix='authmilter-dkim.')
