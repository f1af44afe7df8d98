# dkim_integration.py - the DKIM verifier against messages signed at test
# time (python3-dkim) with keys generated at test time (openssl, pynacl),
# key records served by tests/dns/amdns.py over real DNS on loopback.
# Nothing is kept: keys, zone and messages live in a temp dir.
import base64
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'conformance'))
import dkim_common as dc  # noqa: E402
import dkim  # noqa: E402
import nacl.signing  # noqa: E402

D = 'example.org'
MSG = (b'From: Alice <alice@example.org>\r\n'
       b'To: Bob <bob@example.net>\r\n'
       b'Subject: DKIM integration test\r\n'
       b'Date: Mon, 01 Jan 2024 00:00:00 +0000\r\n'
       b'Message-ID: <test@example.org>\r\n'
       b'\r\n'
       b'Hello Bob,\r\n'
       b'\r\n'
       b'this body is long enough to be cut into many 7-byte chunks.\r\n'
       b'A line\r\nanother line\r\n')
HDRS = [b'from', b'to', b'subject', b'date', b'message-id']


def rsa_key(tmp, bits):
    pem = os.path.join(tmp, 'rsa%d.pem' % bits)
    subprocess.run(['openssl', 'genrsa', '-out', pem, str(bits)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    der = subprocess.run(['openssl', 'rsa', '-in', pem, '-pubout', '-outform', 'DER'],
                         check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    with open(pem, 'rb') as f:
        return f.read(), base64.b64encode(der).decode()


def ed_key():
    sk = nacl.signing.SigningKey.generate()
    return base64.b64encode(bytes(sk)), base64.b64encode(bytes(sk.verify_key)).decode()


def sign(msg, sel, priv, alg=b'rsa-sha256', length=False):
    return dkim.sign(msg, sel.encode(), D.encode(), priv, signature_algorithm=alg,
                     include_headers=HDRS, length=length) + msg


def build(tmp):
    """Keys, zone records and messages {name: bytes}."""
    k2048, p2048 = rsa_key(tmp, 2048)
    k1024, p1024 = rsa_key(tmp, 1024)
    k512, p512 = rsa_key(tmp, 512)
    ked, ped = ed_key()
    rsa = 'v=DKIM1; k=rsa; p='
    zone = [('rsa2048._domainkey.' + D, 'TXT', dc.txt_rdata(rsa + p2048)),
            ('rsa1024._domainkey.' + D, 'TXT', dc.txt_rdata(rsa + p1024)),
            ('rsa512._domainkey.' + D, 'TXT', dc.txt_rdata(rsa + p512)),
            ('ed._domainkey.' + D, 'TXT', dc.txt_rdata('v=DKIM1; k=ed25519; p=' + ped)),
            ('esp._domainkey.' + D, 'CNAME', 'k1.keys.esp.example.net'),
            ('k1.keys.esp.example.net', 'TXT', dc.txt_rdata(rsa + p2048)),
            ('testing._domainkey.' + D, 'TXT', dc.txt_rdata('v=DKIM1; k=rsa; t=y; p=' + p2048)),
            ('revoked._domainkey.' + D, 'TXT', dc.txt_rdata('v=DKIM1; k=rsa; p=')),
            ('servfail._domainkey.' + D, 'SERVFAIL', '-'),
            ('timeout._domainkey.' + D, 'TIMEOUT', '-')]
    zone += [('s%d._domainkey.%s' % (i, D), 'TXT', dc.txt_rdata(rsa + p2048)) for i in range(7)]
    m = {'rsa': sign(MSG, 'rsa2048', k2048),
         'ed25519': sign(MSG, 'ed', ked, b'ed25519-sha256'),
         'cname': sign(MSG, 'esp', k2048),
         'missing': sign(MSG, 'gone', k2048),
         'servfail': sign(MSG, 'servfail', k2048),
         'timeout': sign(MSG, 'timeout', k2048),
         'revoked': sign(MSG, 'revoked', k2048),
         'testing': sign(MSG, 'testing', k2048),
         'rsa1024': sign(MSG, 'rsa1024', k1024),
         'rsa512': sign(MSG, 'rsa512', k512),
         'sha1': sign(MSG, 'rsa2048', k2048, b'rsa-sha1'),
         'length': sign(MSG, 'rsa2048', k2048, length=True) + b'appended after signing\r\n'}
    m['body'] = m['rsa'].replace(b'another line', b'another linE')
    m['header'] = m['rsa'].replace(b'Subject: DKIM', b'Subject: dkim')
    m['lf'] = m['rsa'].replace(b'\r\n', b'\n')
    m['badsyntax'] = b'DKIM-Signature: v=1; a=rsa-sha256; d=' + D.encode() + b'; s\r\n' + m['rsa']
    seven = MSG
    for i in range(7):
        seven = sign(seven, 's%d' % i, k2048)
    m['seven'] = seven
    for name, data in m.items():
        with open(os.path.join(tmp, name + '.eml'), 'wb') as f:
            f.write(data)
    return zone, m


def one(rows, tmp, name):
    return rows.get(os.path.join(tmp, name + '.eml'), [])


def check_single(tap, rows, tmp, name, result, reason=None, **fields):
    """The message has exactly one signature with this result (and fields)."""
    sigs = one(rows, tmp, name)
    got = [(s['result'],) + tuple(s[k] for k in sorted(fields)) for s in sigs]
    exp = [(result,) + tuple(str(fields[k]) for k in sorted(fields))]
    tap.ok(got == exp and (reason is None or reason in sigs[0]['reason']),
           '%s: %s%s' % (name, result, ' (%s)' % reason if reason else ''),
           ['got:      %r %s' % (got, [s['reason'] for s in sigs]),
            'expected: %r reason containing %r' % (exp, reason)])


def main():
    tap = dc.Tap()
    tmp = dc.tmpdir()
    zone, msgs = build(tmp)
    zonefile = os.path.join(tmp, 'dkim.zone')
    dc.write_zone(zonefile, zone)
    path = lambda n: os.path.join(tmp, n + '.eml')  # noqa: E731
    normal = [n for n in msgs if n != 'timeout']
    with dc.DnsServer(zonefile, tmp) as dns:
        rows, _ = dc.run_driver(dns.port, [path(n) for n in normal])
        rows1, _ = dc.run_driver(dns.port, [path('rsa'), path('lf')], '--chunk', '1')
        rows_big, _ = dc.run_driver(dns.port, [path('rsa')], '--chunk', '65536')
        rows512, _ = dc.run_driver(dns.port, [path('rsa512')], '--min-key-bits', '512')
        rows7, _ = dc.run_driver(dns.port, [path('seven')], '--max-sigs', '7')
        rowst, elapsed = dc.run_driver(dns.port, [path('timeout')], timeout=1.0)
        # one dkimv_lib and one resolver shared by 4 threads; the driver
        # fails (exit 3, a bail out) if the threads' outputs differ
        rows_mt, _ = dc.run_driver(dns.port, [path(n) for n in normal], '--threads', '4')

    check_single(tap, rows, tmp, 'rsa', 'pass', 'verified', a='rsa-sha256', bits=2048, d=D,
                 s='rsa2048', testing=0, l=-1)
    check_single(tap, rows, tmp, 'ed25519', 'pass', a='ed25519-sha256', bits=256)
    check_single(tap, rows, tmp, 'cname', 'pass', s='esp', bits=2048)
    check_single(tap, rows, tmp, 'body', 'fail', 'body hash')
    check_single(tap, rows, tmp, 'header', 'fail', 'signature did not verify')
    check_single(tap, rows, tmp, 'lf', 'pass')
    check_single(tap, rows1, tmp, 'rsa', 'pass', '', **{'b': one(rows, tmp, 'rsa')[0]['b']})
    check_single(tap, rows1, tmp, 'lf', 'pass')
    check_single(tap, rows_big, tmp, 'rsa', 'pass')
    check_single(tap, rows, tmp, 'missing', 'permerror', 'no key record published at gone._domainkey')
    check_single(tap, rows, tmp, 'servfail', 'temperror', 'failed temporarily')
    check_single(tap, rowst, tmp, 'timeout', 'temperror', 'failed temporarily')
    tap.ok(elapsed < 4.0, 'timeout: temperror within the 1 s timeout (took %.2f s)' % elapsed)
    check_single(tap, rows, tmp, 'revoked', 'permerror', 'revoked')
    check_single(tap, rows, tmp, 'testing', 'pass', 't=y', testing=1)
    check_single(tap, rows, tmp, 'rsa1024', 'pass', bits=1024)
    check_single(tap, rows, tmp, 'rsa512', 'policy', 'under the minimum of 1024', bits=512)
    check_single(tap, rows512, tmp, 'rsa512', 'pass', bits=512)
    check_single(tap, rows, tmp, 'sha1', 'policy', 'rsa-sha1', a='rsa-sha1', bits=0)
    ltag = int(re.search(rb';\s*l=(\d+)', msgs['length']).group(1))
    check_single(tap, rows, tmp, 'length', 'pass', l=ltag)
    bad = one(rows, tmp, 'badsyntax')
    tap.is_([s['result'] for s in bad], ['neutral', 'pass'],
            'badsyntax: a malformed signature is neutral and does not hurt the next one')
    seven = one(rows, tmp, 'seven')
    tap.is_([s['result'] for s in seven], ['pass'] * 5 + ['policy'] * 2,
            'seven signatures, max 5: five verified, two not')
    tap.ok(all('over the limit of 5' in s['reason'] for s in seven[5:]),
           'seven signatures: the two extra say why', [s['reason'] for s in seven])
    tap.is_([s['result'] for s in one(rows7, tmp, 'seven')], ['pass'] * 7,
            'seven signatures, max 7: all verified')
    tap.is_(len({s['s'] for s in seven}), 7, 'seven signatures: each reported once')
    tap.is_(rows_mt, rows, '4 threads sharing one library agree with one thread')
    shutil.rmtree(tmp, ignore_errors=True)
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
