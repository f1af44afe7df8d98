#!/usr/bin/python3
"""idle.py PORT SECONDS - limits.idle_timeout: a connection that sends
nothing after negotiation is closed by the daemon after SECONDS (not much
before, not much after), and one in the middle of a message too; a
connection opened afterwards is served."""
import sys
import time

from milterclient import Milter

port, limit = int(sys.argv[1]), float(sys.argv[2])
bad = 0


def wait_closed(m, what, since):
    """Seconds from since (m's last command) until the daemon closes m."""
    global bad
    m.s.settimeout(limit * 3)
    try:
        data = m.s.recv(1)
    except OSError as e:
        print("# %s: %s while waiting" % (what, e))
        bad += 1
        return 0
    took = time.monotonic() - since
    if data:
        print("# %s: got %r instead of a close" % (what, data))
        bad += 1
    elif not limit - 0.5 <= took <= limit + 3:
        print("# %s: closed after %.1f s, expected about %.0f s" % (what, took, limit))
        bad += 1
    else:
        print("# %s: closed after %.1f s" % (what, took))
    return took


a = Milter(port)
since_a = time.monotonic()
b = Milter(port)
b.connect_info("mail.example.com", "4", "192.0.2.10")
b.helo("mail.example.com")
b.mail("<a@example.com>")
b.header("From", b"a@example.com")
since_b = time.monotonic()
wait_closed(a, "silent after negotiation", since_a)
wait_closed(b, "silent in the middle of a message", since_b)
c = Milter(port)
r = c.connect_info("mail.example.com", "4", "192.0.2.10")
if r != "c":
    print("# a new connection afterwards was answered %r, not continue" % r)
    bad += 1
c.quit()
sys.exit(1 if bad else 0)
