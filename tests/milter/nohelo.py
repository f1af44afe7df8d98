#!/usr/bin/python3
"""nohelo.py - an SMTP client that never said HELO (no SMFIC_HELO at all),
and a client on a UNIX socket (family L): miltertest can send neither."""
import os
import sys

from milterclient import Milter, message

port = int(os.environ["ML_PORT"])
STD = [("From", "Alice <alice@example.com>"), ("To", "bob@example.org"),
       ("Subject", "no helo")]
bad = 0

m = Milter(port)
m.connect_info("mail.example.com", "4", "192.0.2.10")
reply, actions = message(m, "MAC-NOHELO", STD)
ar = [a for a in actions if a[0] == "i"]
if reply != "c" or len(ar) != 1 or "smtp.mailfrom=alice@example.com" not in ar[0][3]:
    print("# no HELO: reply %s actions %r" % (reply, actions))
    bad += 1
m.quit()

m = Milter(port)
r = m.connect_info("localhost", "L", "/run/client.sock", port=0)
if r != "a":
    print("# UNIX-socket client: reply %s, expected a (accept: nothing to check)" % r)
    bad += 1
m.close()
sys.exit(1 if bad else 0)
