#!/usr/bin/python3
"""negotiate.py PORT SECONDS - limits.negotiate_timeout: a connection that
sends nothing, and one that trickles its option negotiation a byte at a
time (every read gets something, but the packet would be complete only
after about twice SECONDS), are both closed about SECONDS after they
connected, without a reply, not after limits.idle_timeout. A client that
negotiated meanwhile is served, and keeps its connection past SECONDS
(idle_timeout applies once it negotiated); a new one is served
afterwards."""
import select
import socket
import struct
import sys
import time

import milterclient as mc

port, limit = int(sys.argv[1]), float(sys.argv[2])
bad = 0


def fail(msg):
    global bad
    print("# " + msg)
    bad += 1


pkt = struct.pack(">I", 13) + b"O" + struct.pack(">III", 6, mc.CURR_ACTS, mc.CURR_PROT)
interval = (2 * limit + 2) / len(pkt)
silent = socket.create_connection(("127.0.0.1", port), timeout=5)
trickle = socket.create_connection(("127.0.0.1", port), timeout=5)
t0 = time.monotonic()
normal = mc.Milter(port)
r = normal.connect_info("mail.example.com", "4", "192.0.2.10")
normal_last = time.monotonic()
if r != "c":
    fail("a client negotiating meanwhile got %r at connect, not continue" % r)

pending = {silent: "silent", trickle: "trickling"}
closed = {}
sent, next_send = 0, t0
while pending and time.monotonic() < t0 + 3 * limit + 2:
    now = time.monotonic()
    if trickle in pending and sent < len(pkt) and now >= next_send:
        try:
            trickle.send(pkt[sent:sent + 1])
            sent += 1
        except OSError:
            pass  # closed: the read below tells
        next_send += interval
    wait = max(0.0, min(next_send - now, 0.1))
    readable, _, _ = select.select(list(pending), [], [], wait)
    for s in readable:
        try:
            data = s.recv(64)
        except OSError:
            data = b""
        what = pending.pop(s)
        if data:
            fail("%s connection got %r instead of a close" % (what, data))
        else:
            closed[what] = time.monotonic() - t0
for what in ("silent", "trickling"):
    took = closed.get(what)
    if took is None:
        fail("%s connection not closed within %.0f s" % (what, 3 * limit + 2))
    elif not limit - 0.5 <= took <= limit + 2:
        fail("%s connection closed after %.1f s, expected about %.0f s" % (what, took, limit))
    else:
        print("# %s connection closed after %.1f s (%d of %d bytes sent)" %
              (what, took, sent if what == "trickling" else 0, len(pkt)))

# The negotiated client has been silent for longer than SECONDS now.
time.sleep(max(0.0, normal_last + limit + 1 - time.monotonic()))
try:
    normal.helo("mail.example.com")
    r = normal.mail("<a@example.com>")
    if r != "c":
        fail("the negotiated client got %r at MAIL after %.1f s silent, not continue" %
             (r, time.monotonic() - normal_last))
    normal.quit()
except (EOFError, OSError) as e:
    fail("the negotiated client was closed after %.1f s silent (%s): negotiate_timeout "
         "must not apply after negotiation" % (time.monotonic() - normal_last, e))

after = mc.Milter(port)
r = after.connect_info("mail.example.com", "4", "192.0.2.10")
if r != "c":
    fail("a new connection afterwards got %r at connect, not continue" % r)
after.quit()
sys.exit(1 if bad else 0)
