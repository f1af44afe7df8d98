"""benchlib.py - shared parts of contrib/bench/chain and contrib/bench/milter

The build, the test corpus (DKIM keys, the DNS zone, one message file per
kind of mail), the loopback DNS server, authmilter's configuration, and
/proc sampling of CPU time and memory. Stdlib plus Debian's python3-dkim
and python3-nacl (through tests/integration/dkimkeys.py's key format).
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

TOP = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
PY = '/usr/bin/python3'
AUTHSERV = 'mx.bench.test'
RCPT = 'user@example.org'
CLIENT_IP = '192.0.2.25'     # the sending client, as the milters see it
CLK_TCK = os.sysconf('SC_CLK_TCK')


def log(msg):
    sys.stderr.write('# %s\n' % msg)
    sys.stderr.flush()


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def build(targets):
    """Builds the project in $AM_BUILD (default TOP/build) and the extra
    programs named in targets; returns the build directory."""
    bdir = os.environ.get('AM_BUILD') or os.path.join(TOP, 'build')
    quiet = dict(stdout=subprocess.DEVNULL)
    if not os.environ.get('AM_BENCH_NO_DEPS'):
        run([os.path.join(TOP, 'contrib', 'install-deps')], **quiet)
    if not os.access(os.path.join(TOP, 'configure'), os.X_OK):
        run(['./autogen.sh'], cwd=TOP, **quiet)
    os.makedirs(bdir, exist_ok=True)
    if not os.path.exists(os.path.join(bdir, 'Makefile')):
        run([os.path.join(TOP, 'configure'), '-q'], cwd=bdir, **quiet)
    run(['make', '-j%d' % os.cpu_count()], cwd=bdir, **quiet)
    if targets:
        run(['make'] + targets, cwd=bdir, **quiet)
    return bdir


# ---------------------------------------------------------------- corpus

PARA = ('Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod '
        'tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, '
        'quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo.')

# name, share of the messages, MAIL FROM, HELO, what both milters should say
KINDS = [
    ('news-rsa', 35, 'bounce-rsa@news.example', 'mta1.news.example', 'pass'),
    ('news-ed25519', 25, 'bounce-ed@news.example', 'mta1.news.example', 'pass'),
    ('brand-cname', 15, 'b-4711@bounce.esp.example', 'out.esp.example', 'pass'),
    ('list-broken', 10, 'list-bounces@lists.example', 'lists.example', 'reject'),
    ('spoof', 10, 'security@bank.example', 'mail.bank-secure.example', 'reject'),
    ('p-none-fail', 5, 'info@shop.example', 'mail.shop.example', 'fail'),
]


def zone_text(keys):
    spf = {
        'news.example': 'v=spf1 include:_spf.news.example include:_netblocks.esp.example -all',
        '_spf.news.example': 'v=spf1 ip4:198.51.100.0/24 ip4:203.0.113.0/25 '
                             'ip6:2001:db8:10::/48 ~all',
        '_netblocks.esp.example': 'v=spf1 ip4:203.0.113.128/25 include:_netblocks2.esp.example '
                                  '~all',
        '_netblocks2.esp.example': 'v=spf1 ip4:192.0.2.0/26 ip6:2001:db8:20::/48 ~all',
        'bounce.esp.example': 'v=spf1 include:_netblocks.esp.example -all',
        'out.esp.example': 'v=spf1 include:_netblocks.esp.example -all',
        'mta1.news.example': 'v=spf1 ip4:192.0.2.0/24 -all',
        'lists.example': 'v=spf1 ip4:192.0.2.0/27 -all',
        'bank.example': 'v=spf1 ip4:192.0.2.128/25 -all',
        'shop.example': 'v=spf1 ip4:198.51.100.64/26 ~all',
        'brand.example': 'v=spf1 include:_netblocks.esp.example -all',
    }
    lines = ['%s\tTXT\t"%s"' % kv for kv in spf.items()]
    lines += [
        'rsa._domainkey.news.example\tTXT\t"%s"' % keys['rsa'],
        'ed._domainkey.news.example\tTXT\t"%s"' % keys['ed'],
        'esp._domainkey.brand.example\tCNAME\tbrand-esp.keys.esp.example',
        'brand-esp.keys.esp.example\tTXT\t"%s"' % keys['esp'],
        '_dmarc.news.example\tTXT\t"v=DMARC1; p=reject; rua=mailto:dmarc@news.example"',
        '_dmarc.brand.example\tTXT\t"v=DMARC1; p=reject; adkim=r; aspf=r; pct=100; '
        'rua=mailto:dmarc@brand.example"',
        '_dmarc.bank.example\tTXT\t"v=DMARC1; p=reject; sp=reject; rua=mailto:dmarc@bank.example"',
        '_dmarc.shop.example\tTXT\t"v=DMARC1; p=none; rua=mailto:dmarc@shop.example"',
        'mta1.news.example\tA\t192.0.2.25',
    ]
    return '\n'.join(lines) + '\n'


def newsletter(kind, frm, subject, kb=20):
    hdrs = ['From: %s' % frm, 'To: Reader <%s>' % RCPT, 'Subject: %s' % subject,
            'Date: Wed, 25 Nov 2026 12:00:00 +0000', 'Message-ID: <%s-0@bench.test>' % kind,
            'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8',
            'Content-Transfer-Encoding: 8bit',
            'List-Id: Example News <news.news.example>',
            'List-Unsubscribe: <mailto:unsub@news.example?subject=unsub>, '
            '<https://news.example/unsub/abcdef0123456789>',
            'List-Unsubscribe-Post: List-Unsubscribe=One-Click', 'Precedence: bulk',
            'Feedback-ID: campaign42:newsletter:esp.example',
            'X-Mailer: bench-mailer 1.0']
    hdrs += ['X-Campaign-%d: value-%d-%s' % (k, k, 'x' * 20) for k in range(20 - len(hdrs))]
    body = []
    while sum(len(b) + 1 for b in body) < kb * 1024:
        body.append(PARA)
    return '\n'.join(hdrs) + '\n\n' + '\n'.join(body) + '\n'


def short_msg(kind, frm, subject):
    return ('From: %s\nTo: %s\nSubject: %s\nDate: Wed, 25 Nov 2026 12:00:00 +0000\n'
            'Message-ID: <%s-0@bench.test>\nMIME-Version: 1.0\n'
            'Content-Type: text/plain; charset=utf-8\n\n%s\n%s\n' %
            (frm, RCPT, subject, kind, PARA, PARA))


def dkim_sign(text, key, domain, selector, alg):
    import dkim
    msg = text.replace('\n', '\r\n').encode()
    sig = dkim.sign(msg, selector.encode(), domain.encode(), key,
                    include_headers=[b'from', b'to', b'subject', b'date', b'message-id',
                                     b'mime-version', b'content-type', b'list-id',
                                     b'list-unsubscribe'],
                    signature_algorithm=alg.encode(), canonicalize=(b'relaxed', b'relaxed'))
    return sig.decode().replace('\r\n', '\n') + text


def make_corpus(d):
    """Keys, d/zone and one LF-terminated message file per kind; returns
    [(name, share, mailfrom, helo, file, expected)]."""
    keys, priv = {}, {}
    dkk = [PY, os.path.join(TOP, 'tests', 'integration', 'dkimkeys.py'), 'genkey']
    for name, args in (('rsa', ['rsa', '2048']), ('ed', ['ed25519']), ('esp', ['rsa', '2048'])):
        path = os.path.join(d, name + '.key')
        keys[name] = run(dkk + args + [path], capture_output=True).stdout.decode().strip()
        with open(path, 'rb') as f:
            priv[name] = f.read()
    with open(os.path.join(d, 'zone'), 'w') as f:
        f.write(zone_text(keys))
    news = 'Example News <news@news.example>'
    texts = {
        'news-rsa': dkim_sign(newsletter('news-rsa', news, 'Issue 42'), priv['rsa'],
                              'news.example', 'rsa', 'rsa-sha256'),
        'news-ed25519': dkim_sign(newsletter('news-ed25519', news, 'Issue 42'), priv['ed'],
                                  'news.example', 'ed', 'ed25519-sha256'),
        'brand-cname': dkim_sign(short_msg('brand-cname', 'Brand <hello@brand.example>',
                                           'Your order has shipped'), priv['esp'],
                                 'brand.example', 'esp', 'rsa-sha256'),
        'spoof': short_msg('spoof', 'Bank Security <security@bank.example>',
                           'Verify your account'),
        'p-none-fail': short_msg('p-none-fail', 'Shop <info@shop.example>', 'Sale'),
    }
    # A mailing list: subject tag and footer added after signing.
    lst = dkim_sign(newsletter('list-broken', news, 'Issue 42', kb=8), priv['rsa'],
                    'news.example', 'rsa', 'rsa-sha256')
    texts['list-broken'] = (lst.replace('Subject: Issue 42', 'Subject: [list] Issue 42') +
                            '--\nlist footer: unsubscribe at lists.example\n')
    out = []
    for name, share, mailfrom, helo, expect in KINDS:
        path = os.path.join(d, name + '.eml')
        with open(path, 'w') as f:
            f.write(texts[name])
        out.append((name, share, mailfrom, helo, path, expect))
    return out


# ---------------------------------------------------------------- processes

class Procs:
    """Started processes, stopped (SIGTERM, then SIGKILL) in reverse order."""

    def __init__(self):
        self.procs = []

    def start(self, cmd, name, **kw):
        p = subprocess.Popen(cmd, **kw)
        p.bench_name = name
        self.procs.append(p)
        return p

    def stop(self, p, timeout=10):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if p in self.procs:
            self.procs.remove(p)

    def stop_all(self):
        for p in reversed(list(self.procs)):
            self.stop(p)


def wait_for(pred, seconds, what):
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        if pred():
            return
        time.sleep(0.05)
    raise RuntimeError('timed out waiting for ' + what)


def start_dns(procs, d, listen):
    """amdns.py on listen ("HOST:PORT", PORT 0 = any) with d/zone, queries
    logged to d/dns.log; returns (process, host, port)."""
    ready = os.path.join(d, 'dns.ready')
    p = procs.start([PY, os.path.join(TOP, 'tests', 'dns', 'amdns.py'), '--listen', listen,
                     '--zone', os.path.join(d, 'zone'), '--ready-file', ready,
                     '--log', os.path.join(d, 'dns.log')], 'dns',
                    stderr=open(os.path.join(d, 'dns.err'), 'w'))
    wait_for(lambda: os.path.exists(ready) or p.poll() is not None, 20, 'the DNS server')
    if p.poll() is not None:
        raise RuntimeError('DNS server failed: ' + open(os.path.join(d, 'dns.err')).read())
    host, port = open(ready).read().split()[:2]
    return p, host, int(port)


def dns_queries(d):
    try:
        with open(os.path.join(d, 'dns.log'), 'rb') as f:
            return sum(1 for _ in f)
    except OSError:
        return 0


def authmilter_conf(path, socket, dns_host, dns_port, group='nogroup', extra='', policy=''):
    with open(path, 'w') as f:
        f.write('socket = "%s";\nuser = "nobody";\ngroup = "%s";\nshutdown_timeout = 2;\n'
                'authserv_id = "%s";\n'
                'dns = { nameservers = [ "%s@%d" ]; };\n'
                'policy = { trusted_networks = [ ]; %s};\n'
                'limits = { max_connections = 2000; };\n%s' %
                (socket, group, AUTHSERV, dns_host, dns_port, policy, extra))
    os.chmod(path, 0o644)


def start_authmilter(procs, bdir, conf, logpath, ready_check):
    lf = open(logpath, 'a')
    # AM_WRAP: a command to run it under, e.g. "valgrind --tool=callgrind"
    p = procs.start(os.environ.get('AM_WRAP', '').split() +
                    [os.path.join(bdir, 'src', 'authmilter'), '-f', '-c', conf], 'authmilter',
                    stderr=lf, stdout=lf)

    def up():
        if p.poll() is not None:
            raise RuntimeError('authmilter exited: ' + open(logpath).read()[-2000:])
        return ready_check()
    wait_for(up, 20, 'authmilter')
    return p


# ---------------------------------------------------------------- /proc

def cpu_seconds(pid):
    """utime + stime of pid (all its threads), in seconds; 0 if gone."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            st = f.read()
    except OSError:
        return 0.0
    fields = st[st.rindex(')') + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def mem_kb(pid):
    """(VmRSS, VmHWM) of pid in kB, (0, 0) if gone."""
    try:
        with open('/proc/%d/status' % pid) as f:
            st = dict(line.split(':', 1) for line in f if ':' in line)
    except OSError:
        return 0, 0
    return int(st['VmRSS'].split()[0]), int(st['VmHWM'].split()[0])


class RssSampler(threading.Thread):
    """Samples the summed VmRSS of pids every 20 ms; .peak after stop()."""

    def __init__(self, pids):
        super().__init__(daemon=True)
        self.pids, self.peak, self.done = pids, 0, threading.Event()

    def run(self):
        while not self.done.is_set():
            self.peak = max(self.peak, sum(mem_kb(p)[0] for p in self.pids))
            self.done.wait(0.02)

    def stop(self):
        self.done.set()
        self.join()
        return self.peak


def free_port():
    import socket
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def port_open(port, host='127.0.0.1'):
    import socket
    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False


def unix_open(path):
    import socket
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


def nobody_uid():
    import pwd
    return pwd.getpwnam('nobody').pw_uid


def tmpdir(prefix):
    import tempfile
    d = tempfile.mkdtemp(prefix=prefix)
    os.chmod(d, 0o755)
    return d


def cleanup_dir(d):
    if os.environ.get('KEEP'):
        log('KEEP: kept ' + d)
    else:
        shutil.rmtree(d, ignore_errors=True)


def header_values(text, name):
    """Unfolded values of header field name in a message's text."""
    head = re.split(r'\r?\n\r?\n', text, 1)[0]
    head = re.sub(r'\r?\n[ \t]+', ' ', head)
    out = []
    for line in head.splitlines():
        if line.lower().startswith(name.lower() + ':'):
            out.append(line.split(':', 1)[1].strip())
    return out
