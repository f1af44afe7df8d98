#!/usr/bin/python3
"""dnsfaults.py - messages whose DNS lookups fail, over the milter socket.

  dnsfaults.py verdict QID MAILFROM IP WANT AR_TOKEN...
      one message (From: alice@<MAILFROM's domain>, no DKIM signature);
      WANT "tempfail": the reply is 451 4.4.3 and no header is added;
      WANT "accept": the message is accepted and one Authentication-Results
      header is inserted that holds every AR_TOKEN (e.g. "dmarc=temperror").
  dnsfaults.py budget KEYFILE BUDGET MARGIN
      the per-message time budget (limits.message_time = BUDGET): a message
      whose 5 DKIM keys (looked up at end of headers, after its DMARC
      record) and SPF records (end of message) all time out is answered
      451 4.4.3 in BUDGET - 0.5 .. BUDGET + MARGIN seconds (wall time at the
      client, from MAIL FROM to the reply), and so is one without
      signatures whose DMARC (end of headers) and SPF (MAIL FROM, HELO)
      lookups time out; while the first is stuck in DNS a second
      connection's normal message is accepted within 1 s.
Zone names: see tests/milter/dnsfaults.sh. Prints "# ..." diagnostics; the
exit status is the number of failed checks (0 = all good).
"""
import os
import sys
import threading
import time

from milterclient import client, message

PORT = int(os.environ["ML_PORT"])
PROMPT = 1.0  # seconds a normal message may take while another is stuck


def headers(domain, qid):
    return [("From", "Alice <alice@%s>" % domain), ("To", "bob@example.org"),
            ("Subject", "dns faults " + qid), ("Date", "Wed, 25 Nov 2026 12:00:00 +0000"),
            ("Message-ID", "<%s@%s>" % (qid, domain))]


def run(qid, mailfrom, ip, hdrs, body=b"Hello.\r\n", helo="mail.example.com"):
    """One message on a new connection: (reply, actions, seconds)."""
    m = client(PORT, ip=ip, helo=helo)
    t = time.monotonic()
    reply, actions = message(m, qid, hdrs, body=body, mail_from="<%s>" % mailfrom)
    took = time.monotonic() - t
    m.quit()
    return reply, actions, took


def check_tempfail(what, reply, actions):
    text = [a[1] for a in actions if a[0] == "y"]
    ins = [a for a in actions if a[0] == "i"]
    if reply == "y" and text and text[0].startswith("451 4.4.3") and not ins:
        return 0
    print("# %s: reply %s actions %r, expected 451 4.4.3 and no header" % (what, reply, actions))
    return 1


def verdict(qid, mailfrom, ip, want, *tokens):
    domain = mailfrom.split("@", 1)[1]
    reply, actions, took = run(qid, mailfrom, ip, headers(domain, qid))
    print("# %s: reply %s in %.2f s, %r" % (qid, reply, took, actions))
    if want == "tempfail":
        return check_tempfail(qid, reply, actions)
    ar = [a[3] for a in actions if a[0] == "i" and a[2] == "Authentication-Results"]
    missing = [t for t in tokens if not ar or t not in ar[0]]
    if reply in ("a", "c") and len(ar) == 1 and not missing:
        return 0
    print("# %s: expected accept with one A-R holding %r; missing %r" % (qid, tokens, missing))
    return 1


def signed(key, domain, selectors, qid):
    """Headers of a message signed once per selector (d=domain)."""
    import dkim
    hdrs = headers(domain, qid)
    raw = b"".join(("%s: %s\r\n" % h).encode() for h in hdrs) + b"\r\nHello.\r\n"
    sigs = []
    for sel in selectors:
        h = dkim.sign(raw, sel.encode(), domain.encode(), key,
                      include_headers=[b"from", b"to", b"subject", b"date"])
        name, value = h.split(b":", 1)
        sigs.append((name.decode(), value.lstrip(b" ").rstrip(b"\r\n")))
    return sigs + hdrs


def timed(what, budget, margin, reply, actions, took):
    bad = check_tempfail(what, reply, actions)
    print("# %s: answered in %.2f s (budget %g s, margin %g s)" % (what, took, budget, margin))
    if not budget - 0.5 <= took <= budget + margin:
        print("# %s: %.2f s is outside %g .. %g s" % (what, took, budget - 0.5, budget + margin))
        bad += 1
    return bad


def budget_case(keyfile, budget, margin):
    key = open(keyfile, "rb").read()
    sels = ["k%d" % i for i in range(1, 6)]
    bad = 0
    stuck = {}

    # 5 DKIM keys (looked up at end of headers), the HELO and MAIL FROM SPF
    # records: every lookup times out (7 x dns.timeout without the budget).
    def slow():
        try:
            stuck["r"] = run("BUDGET-ALL", "alice@slow.example", "203.0.113.7",
                             signed(key, "slow.example", sels, "BUDGET-ALL"),
                             helo="h1.slow.example")
        except Exception as e:  # reported below as no answer
            stuck["e"] = repr(e)

    th = threading.Thread(target=slow)
    th.start()
    time.sleep(0.4)
    reply, actions, took = run("BUDGET-OTHER", "alice@example.com", "192.0.2.10",
                               headers("example.com", "BUDGET-OTHER"))
    busy = th.is_alive()
    print("# BUDGET-OTHER: reply %s in %.2f s; the stuck message still running: %s"
          % (reply, took, busy))
    ar = [a[3] for a in actions if a[0] == "i"]
    if reply not in ("a", "c") or len(ar) != 1 or "dmarc=pass" not in ar[0] or took > PROMPT:
        print("# BUDGET-OTHER: expected accept with dmarc=pass within %g s: %r" % (PROMPT, actions))
        bad += 1
    if not busy:
        print("# BUDGET-OTHER: finished after the stuck message, nothing was shown")
        bad += 1
    th.join(budget + margin + 30)
    if "r" not in stuck:
        print("# BUDGET-ALL: no answer: %s" % stuck.get("e", "still waiting"))
        return bad + 1
    bad += timed("BUDGET-ALL", budget, margin, *stuck["r"])
    # No signature; the DMARC record (end of headers), SPF of MAIL FROM and
    # of HELO (end of message) time out (3 x dns.timeout without the budget).
    bad += timed("BUDGET-EOM", budget, margin,
                 *run("BUDGET-EOM", "alice@m2.slow.example", "203.0.113.7",
                      headers("slow2.example", "BUDGET-EOM"), helo="h2.slow.example"))
    return bad


def main(argv):
    if argv[0] == "verdict":
        return verdict(*argv[1:])
    if argv[0] == "budget":
        return budget_case(argv[1], float(argv[2]), float(argv[3]))
    print("# usage: see the header of dnsfaults.py")
    return 2


if __name__ == "__main__":
    sys.exit(min(main(sys.argv[1:]), 100))
