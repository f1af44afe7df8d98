#!/usr/bin/python3
"""metrics.py - the daemon's Prometheus metrics over its milter socket.

  metrics.py URL count
      Sends, one connection each: 3 messages that pass (From and MAIL FROM
      alice@example.com from 192.0.2.10), 2 spoofs of example.com from
      198.51.100.7 (rejected), 1 authenticated submission (skipped), and
      one connection that breaks the protocol; then scrapes URL and checks
      each counter against what was sent, the gauges back at 0, 404 for
      another path, and that every label value is from its fixed set.
  metrics.py URL load N
      Sends N messages (passing and spoofed, alternating) while another
      thread scrapes URL 1000 times; every verdict must be the one the
      message gets without scrapes, every scrape must answer, and the
      counters must equal the messages sent.
Prints "# ..." diagnostics; exit 0 when all held.
"""
import os
import re
import sys
import threading
import urllib.error
import urllib.request

from milterclient import Milter, client, message

PORT = int(os.environ["ML_PORT"])
HDRS = [("From", "Alice <alice@example.com>"), ("To", "bob@example.org"),
        ("Subject", "metrics"), ("Date", "Wed, 25 Nov 2026 12:00:00 +0000"),
        ("Message-ID", "<m@example.com>")]
LABELS = {
    "action": {"accept", "quarantine", "reject", "tempfail", "skip"},
    "reason": {"dmarc_pass", "no_dmarc_policy", "dmarc_fail_policy_none", "dmarc_reject",
               "dmarc_quarantine", "dmarc_temperror", "auth_temperror", "no_from",
               "multiple_from", "multiple_from_domains", "unparseable_from", "header_limit",
               "trusted_network", "authenticated", "no_client_address", "other"},
    "method": {"spf", "spf_helo", "dkim", "dmarc", "arc", "iprev"},
    "result": {"none", "pass", "fail", "neutral", "softfail", "policy", "temperror",
               "permerror", "ok", "failed"},
    "kind": {"allow_network", "allow_domain", "monitor", "arc"},
    "le": None,
}


def scrape(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.status, r.read().decode()


def parse(text):
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            out[key] = float(value)
    return out


def one(ip, mail_from, qid, auth=None):
    m = client(PORT, ip=ip)
    if auth:
        m.macro(b"M", {"i": qid, "{auth_authen}": auth})
        r = m.mail(mail_from)
        m.close()
        return r
    reply, _ = message(m, qid, HDRS, mail_from=mail_from)
    m.quit()
    return reply


def bad_labels(text):
    bad = []
    for key in parse(text):
        for name, value in re.findall(r'(\w+)="([^"]*)"', key):
            allowed = LABELS.get(name, set())
            if allowed is not None and value not in allowed:
                bad.append("%s=%s" % (name, value))
    return bad


def count(url):
    fails = []
    for i in range(3):
        if one("192.0.2.10", "<alice@example.com>", "MP%d" % i) not in ("a", "c"):
            fails.append("pass %d not accepted" % i)
    for i in range(2):
        if one("198.51.100.7", "<alice@example.com>", "MS%d" % i) != "y":
            fails.append("spoof %d not rejected" % i)
    if one("192.0.2.10", "<alice@example.com>", "MA", auth="alice") not in ("a",):
        fails.append("authenticated submission not accepted at MAIL")
    bad = Milter(PORT)
    bad.send(b"Z", b"not a command")  # a protocol error: the daemon closes
    try:
        bad.read()
    except (EOFError, OSError):
        pass
    bad.close()
    status, text = scrape(url)
    v = parse(text)
    want = {
        'authmilter_messages_total{action="accept",reason="dmarc_pass"}': 3,
        'authmilter_messages_total{action="reject",reason="dmarc_reject"}': 2,
        'authmilter_messages_total{action="skip",reason="authenticated"}': 1,
        'authmilter_results_total{method="spf",result="pass"}': 3,
        'authmilter_results_total{method="spf",result="fail"}': 2,
        'authmilter_results_total{method="dmarc",result="pass"}': 3,
        'authmilter_results_total{method="dmarc",result="fail"}': 2,
        'authmilter_added_delay_seconds_count': 5,
        'authmilter_milter_connections_total': 7,
        'authmilter_milter_protocol_errors_total': 1,
        'authmilter_connections_active': 0,
        'authmilter_messages_in_progress': 0,
    }
    for key, n in want.items():
        if v.get(key) != n:
            fails.append("%s = %s, expected %d" % (key, v.get(key), n))
    if v.get("authmilter_dns_queries_total", 0) < 1:
        fails.append("no DNS query counted")
    fails += ["label value outside its set: %s" % b for b in bad_labels(text)]
    try:
        urllib.request.urlopen(url.replace("/metrics", "/other"), timeout=10)
        fails.append("/other answered")
    except urllib.error.HTTPError as e:
        if e.code != 404:
            fails.append("/other: %d, expected 404" % e.code)
    for f in fails:
        print("# " + f)
    return 1 if fails or status != 200 else 0


def load(url, n):
    errors = []

    def scraper():
        for _ in range(1000):
            try:
                if scrape(url)[0] != 200:
                    errors.append("scrape status")
            except OSError as e:
                errors.append(str(e))
    v0 = parse(scrape(url)[1])
    t = threading.Thread(target=scraper)
    t.start()
    wrong = 0
    for i in range(n):
        good = i % 2 == 0
        r = one("192.0.2.10" if good else "198.51.100.7", "<alice@example.com>", "ML%d" % i)
        if r not in (("a", "c") if good else ("y",)):
            wrong += 1
    t.join()
    v = parse(scrape(url)[1])
    ka = 'authmilter_messages_total{action="accept",reason="dmarc_pass"}'
    kr = 'authmilter_messages_total{action="reject",reason="dmarc_reject"}'
    acc, rej = v.get(ka, 0) - v0.get(ka, 0), v.get(kr, 0) - v0.get(kr, 0)
    print("# %d messages, %d wrong verdicts, %d scrape errors, counters %d accept %d reject" %
          (n, wrong, len(errors), acc, rej))
    ok = wrong == 0 and not errors and acc == (n + 1) // 2 and rej == n // 2
    return 0 if ok else 1


if __name__ == "__main__":
    if sys.argv[2] == "count":
        sys.exit(count(sys.argv[1]))
    sys.exit(load(sys.argv[1], int(sys.argv[3])))
