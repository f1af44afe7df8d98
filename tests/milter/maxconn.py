#!/usr/bin/python3
"""maxconn.py PORT LIMIT - limits.max_connections, counted from accept():
LIMIT - 1 negotiated connections and one that only opened the TCP socket
fill the limit; one more is closed by the daemon without a negotiation
reply (the MTA would apply its milter default action); once a served
connection (the silent one when LIMIT is 1) closes, a new connection is
served again.

The silent connection must not be closed by limits.negotiate_timeout
before the over-limit one is tried: that takes milliseconds, and the
script fails (rather than pass by luck) if it took over a second."""
import socket
import struct
import sys
import time

import milterclient as mc

port, limit = int(sys.argv[1]), int(sys.argv[2])


def served(port):
    """A connection that negotiates and is told to continue at connect."""
    m = mc.Milter(port)
    return m, m.connect_info("mail.example.com", "4", "192.0.2.10")


def refused(port):
    """None if the daemon closes a new connection without answering its
    option negotiation, else what happened instead."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.sendall(struct.pack(">I", 13) + b"O" +
                  struct.pack(">III", 6, mc.CURR_ACTS, mc.CURR_PROT))
        data = s.recv(1)
    except (ConnectionResetError, BrokenPipeError):
        return None
    except socket.timeout:
        return "no reply and no close within 5 s"
    finally:
        s.close()
    return None if data == b"" else "a negotiation reply (%r...)" % data


held = []
for i in range(limit - 1):
    m, reply = served(port)
    if reply != "c":
        sys.exit("connection %d of %d got %r, expected continue" % (i + 1, limit, reply))
    held.append(m)
silent = socket.create_connection(("127.0.0.1", port), timeout=5)
# Two daemon threads wait in accept(): the one that took the silent
# connection may not have counted it yet when the next one arrives. The
# client cannot see the count (the silent peer gets no reply), so it gives
# the daemon a moment; the count is taken in microseconds, even under
# AddressSanitizer.
time.sleep(0.3)
since = time.monotonic()
why = refused(port)
took = time.monotonic() - since
if why is not None:
    sys.exit("connection %d, with %d negotiated and one silent open, got %s; "
             "expected a close (the silent one must count)" % (limit + 1, limit - 1, why))
if took > 1:
    sys.exit("the refusal took %.1f s: too slow to tell it from negotiate_timeout" % took)
print("# over the limit: closed without a reply (%.3f s)" % took)

(held.pop() if held else silent).close()
deadline = time.time() + 5  # the daemon counts the close when its connection thread sees it
while True:
    try:
        again, reply = served(port)
        break
    except (EOFError, ConnectionResetError, BrokenPipeError):
        if time.time() > deadline:
            sys.exit("5 s after a served connection closed, new ones are still refused")
        time.sleep(0.1)
again.close()
if reply != "c":
    sys.exit("after a close, a new connection got %r, expected continue" % reply)
print("# after one closed: served again")
silent.close()
for m in held:
    m.close()
