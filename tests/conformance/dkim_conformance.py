# dkim_conformance.py - the DKIM verifier against third-party test data
#
# Builds a zone (in a temp dir) from $CONFORMANCE_DIR/dkim/keys-queryfile.txt
# and mail-dkim/FAKE_DNS.dat (NXDOMAIN entries absent, "~~text~~" entries
# SERVFAIL), serves it with tests/dns/amdns.py, runs tests/conformance/
# dkim_driver (body fed 7 bytes at a time) and checks:
#  (a) every row of dkim/rfc/expected.tsv: that signature's result;
#  (b) every row of the Mail::DKIM corpus expected.tsv: the message verdict
#      (pass if a signature passes, else the first of fail, policy,
#      temperror, permerror, neutral, none found) against Mail::DKIM's
#      (pass, fail, invalid = neutral or permerror). A difference is ok only
#      when a rule below holds for the message (computed from the message
#      and the key records, never from file names) and allows our verdict;
#      the TAP line names the rule.
# observed-libopendkim-2.11.tsv is printed beside each corpus row, for
# information only.
import base64
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dkim_common as dc  # noqa: E402

CONF = os.environ.get('CONFORMANCE_DIR') or os.path.join(dc.SRCDIR, '..', 'shared', 'conformance')
DKIM_DIR = os.path.join(CONF, 'dkim')
ORDER = ('fail', 'policy', 'temperror', 'permerror', 'neutral', 'none')
CLASS = {'pass': {'pass'}, 'fail': {'fail'}, 'invalid': {'neutral', 'permerror'}}


def read_lines(path):
    with open(path, encoding='utf-8', errors='surrogateescape') as f:
        return f.read().splitlines()


def load_keys():
    """{name: value or None (SERVFAIL)}; FAKE_DNS.dat wins over the query file."""
    keys = {}
    for line in read_lines(os.path.join(DKIM_DIR, 'keys-queryfile.txt')):
        if line.startswith('#') or not line.strip():
            continue
        parts = line.split(None, 1)
        keys[parts[0].lower()] = parts[1].strip() if len(parts) > 1 else ''
    for line in read_lines(os.path.join(DKIM_DIR, 'mail-dkim', 'FAKE_DNS.dat')):
        if line.startswith('#') or not line.strip():
            continue
        parts = line.split(None, 1)
        name, value = parts[0].lower(), (parts[1].strip() if len(parts) > 1 else '')
        if value == 'NXDOMAIN':
            keys.pop(name, None)
        elif value.startswith('~~'):
            keys[name] = None
        else:
            keys[name] = '' if value == '""' else value
    return keys


def zone_records(keys):
    for name, value in sorted(keys.items()):
        if value is None:
            yield name, 'SERVFAIL', '-'
        else:
            yield name, 'TXT', dc.txt_rdata(value)


def header_fields(path):
    """(lowercase name, unfolded value) of each header field."""
    fields = []
    with open(path, 'rb') as f:
        text = f.read().decode('latin-1')
    for line in re.split(r'\r?\n', text):
        if line == '':
            break
        if line[:1] in (' ', '\t') and fields:
            fields[-1][1] += ' ' + line.strip()
        elif ':' in line:
            name, value = line.split(':', 1)
            fields.append([name.strip().lower(), value])
    return fields


def tags(value):
    out = {}
    for part in value.split(';'):
        if '=' in part:
            k, v = part.split('=', 1)
            out[k.strip()] = re.sub(r'\s+', '', v)
    return out


def rsa_bits(record):
    """Modulus size of the key record's p=, or None."""
    p = tags(record or '').get('p')
    if not p:
        return None
    try:
        import dkim.crypto
        return dkim.crypto.parse_public_key(base64.b64decode(p))['modulus'].bit_length()
    except Exception:
        return None


class Message:
    """The facts the rules look at."""

    def __init__(self, path, keys):
        fields = header_fields(path)
        self.sigs = [tags(v) for n, v in fields if n == 'dkim-signature']
        self.dk = [v for n, v in fields if n == 'domainkey-signature']
        self.keys = keys

    def keyname(self, t):
        return '%s._domainkey.%s' % (t.get('s', ''), t.get('d', '')).lower()


# (name, predicate(Message), verdicts the rule allows)
RULES = (
    ('DomainKeys (RFC 4870) signature, not DKIM: no DKIM-Signature field',
     lambda m: not m.sigs and bool(m.dk), {'none'}),
    ('no v=1 tag: pre-RFC 4871 draft signature (RFC 6376 3.5: v= required)',
     lambda m: any(t.get('v') != '1' for t in m.sigs), {'neutral'}),
    ('RFC 8301 rsa-sha1 never passes',
     lambda m: any(t.get('a', '').lower() == 'rsa-sha1' for t in m.sigs), {'policy'}),
    ('RFC 8301 RSA key under 1024 bits never passes',
     lambda m: any((rsa_bits(m.keys.get(m.keyname(t))) or 1024) < 1024 for t in m.sigs),
     {'policy'}),
    ('DNS failure is temperror (RFC 8601 2.7.1), not a final verdict',
     lambda m: any(m.keyname(t) in m.keys and m.keys[m.keyname(t)] is None for t in m.sigs),
     {'temperror'}),
)


def verdict(sigs):
    results = [s['result'] for s in sigs]
    if 'pass' in results:
        return 'pass'
    for r in ORDER:
        if r in results:
            return r
    return 'none'


def check_rfc(tap, rows):
    base = os.path.join(DKIM_DIR, 'rfc')
    for line in read_lines(os.path.join(base, 'expected.tsv')):
        if line.startswith('#') or not line.strip():
            continue
        f, idx, d, s, a, c, expected = line.split('\t')[:7]
        path = os.path.normpath(os.path.join(base, f))
        sigs = rows.get(path, [])
        got = sigs[int(idx)] if int(idx) < len(sigs) else {}
        tap.is_((got.get('result'), got.get('d'), got.get('s'), got.get('a')),
                (expected, d, s, a), 'rfc %s sig %s (%s, %s): %s' % (f, idx, a, c, expected))
        if got and got['result'] != expected:
            tap.comment('reason: ' + got['reason'])


def load_observed():
    obs = {}
    path = os.path.join(DKIM_DIR, 'mail-dkim', 'observed-libopendkim-2.11.tsv')
    for line in read_lines(path):
        if not line.startswith('#') and line.strip():
            parts = line.split('\t')
            obs[parts[0]] = parts[3]
    return obs


def check_corpus(tap, rows, keys, stats):
    base = os.path.join(DKIM_DIR, 'mail-dkim')
    observed = load_observed()
    for line in read_lines(os.path.join(base, 'expected.tsv')):
        if line.startswith('#') or not line.strip():
            continue
        f, expected = line.split('\t')[:2]
        path = os.path.join(base, 'corpus', f)
        sigs = rows.get(path, [])
        got = verdict(sigs)
        reasons = '; '.join(s['reason'] for s in sigs)
        if got in CLASS[expected]:
            stats['agree'] = stats.get('agree', 0) + 1
            tap.ok(True, '%s: expected %s, got %s' % (f, expected, got))
        else:
            msg = Message(path, keys)
            rule = next((name for name, pred, allowed in RULES
                         if got in allowed and pred(msg)), None)
            if rule:
                stats[rule] = stats.get(rule, 0) + 1
            else:
                stats['unexplained'] = stats.get('unexplained', 0) + 1
            tap.ok(rule is not None, '%s: expected %s, got %s%s' % (
                f, expected, got, ': ' + rule if rule else ' (no rule explains it)'),
                ['our reasons: ' + reasons])
        tap.comment('  libopendkim 2.11 per signature: %s; ours: %s' % (
            observed.get(f, '?'), reasons or 'no DKIM-Signature'))


def main():
    if not os.path.isdir(DKIM_DIR):
        print('1..0 # SKIP skipped: conformance data not found')
        return 0
    tap = dc.Tap()
    tmp = dc.tmpdir()
    keys = load_keys()
    zone = os.path.join(tmp, 'dkim.zone')
    dc.write_zone(zone, zone_records(keys))
    rfc_base = os.path.join(DKIM_DIR, 'rfc')
    files = set()
    for line in read_lines(os.path.join(rfc_base, 'expected.tsv')):
        if not line.startswith('#') and line.strip():
            files.add(os.path.normpath(os.path.join(rfc_base, line.split('\t')[0])))
    corpus = os.path.join(DKIM_DIR, 'mail-dkim', 'corpus')
    files.update(os.path.join(corpus, f) for f in os.listdir(corpus) if f.endswith('.txt'))
    with dc.DnsServer(zone, tmp) as dns:
        rows, _ = dc.run_driver(dns.port, sorted(files), '--chunk', '7')
    check_rfc(tap, rows)
    stats = {}
    check_corpus(tap, rows, keys, stats)
    tap.comment('Mail::DKIM corpus: %d agree' % stats.pop('agree', 0))
    for name, n in sorted(stats.items()):
        tap.comment('Mail::DKIM corpus: %d differ by rule: %s' % (n, name))
    import shutil
    shutil.rmtree(tmp, ignore_errors=True)
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
