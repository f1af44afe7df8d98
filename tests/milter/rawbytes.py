#!/usr/bin/python3
"""rawbytes.py - what miltertest cannot send: NUL inside a header value
(the milter protocol ends the value there), 8-bit and control bytes in
header names, a From value cut by a NUL, an empty header name (a protocol
violation: the daemon drops the connection), and a HELO and MAIL FROM of 2000 bytes that
need escaping (the log line must stay one whole key=value line)."""
import os
import sys

from milterclient import Milter, client, message

port = int(os.environ["ML_PORT"])
STD = [("From", b"Alice <alice@example.com>"), ("To", b"bob@example.org"),
       ("Subject", b"raw")]
bad = 0


def expect(qid, reply, actions, want="c"):
    global bad
    if reply != want or (want == "c" and [a[0] for a in actions] != ["i"]):
        print("# %s: reply %s actions %r, expected %s" % (qid, reply, actions, want))
        bad += 1


m = client(port)
for qid, headers in [
        ("RAW-NUL-VALUE", STD + [("X-Nul", b"before\0after"), ("Subject", b"\0")]),
        ("RAW-8BIT-NAME", STD + [(b"X-\xff\xfe", b"v"), (b"\xc3\xa4", b"v")]),
        ("RAW-CTL-NAME", STD + [(b"X-\x01\x7f", b"v"), (b"\t", b"tab name")]),
        # the From value ends at the NUL: alice@example.com, not evil.example
        ("RAW-NUL-FROM", [("From", b"alice@example.com\0, x@evil.example")] + STD[1:])]:
    expect(qid, *message(m, qid, headers))
m.quit()

# an empty header name: a protocol violation, the daemon closes
try:
    m = client(port)
    r = message(m, "RAW-EMPTY-NAME", STD + [(b"", b"empty name")])
    print("# RAW-EMPTY-NAME: reply %r (connection kept)" % (r,))
except (EOFError, OSError) as e:
    print("# RAW-EMPTY-NAME: connection closed by the daemon (%s)" % e.__class__.__name__)

# long envelope values that need escaping in the log
m = Milter(port)
m.connect_info("mail.example.com", "4", "192.0.2.10")
m.helo('"' * 2000)
# a 1900-byte local part is no SPF identity (spf=none): DMARC p=reject applies
expect("RAW-LONG-ENV", *message(m, "RAW-LONG-ENV", STD,
                                 mail_from='<"' + "x=y " * 475 + '"@example.com>'), want="y")
m.quit()
sys.exit(1 if bad else 0)
