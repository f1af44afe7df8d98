"""milterclient.py - a minimal MTA side of the milter protocol (version 6)

For the cases miltertest(8) cannot express: miltertest copies each header
and every reply into 1024-byte stack buffers (a longer header or a longer
Authentication-Results value overflows it), sends strings with strlen() (no
NUL bytes), always sends HELO, knows no AF_UNIX client family, and keeps
the end-of-message actions in no particular order.

    m = Milter(port)                       # connects and negotiates (m.proto: steps)
    m.connect_info("host", "4", "192.0.2.10")
    m.helo("mail.example.com")
    m.macro(b"M", {"i": "Q1"})
    m.mail("<a@example.com>"); m.rcpt("<b@example.org>")
    m.header("From", b"a@example.com"); m.eoh(); m.body(b"x\\r\\n")
    reply, actions = m.eom()               # 'a' 'c' 'r' 't' 'y'..., [(cmd, fields)]
Like an MTA, the client leaves out every command the milter excluded at
negotiation with an SMFIP_NO* bit (e.g. RCPT under SMFIP_NORCPT), and the
macros of its stage: the method returns None then, as when no reply is due.
To send an excluded command on purpose (a protocol violation under test),
call m.step(cmd, data, noreply_flag, force=True), or m.send() for raw bytes.
Every read has a timeout (Milter.TIMEOUT seconds); a closed connection
raises EOFError.
"""
import socket
import struct

SMFIP_NOCONNECT, SMFIP_NOHELO, SMFIP_NOMAIL, SMFIP_NORCPT = 0x1, 0x2, 0x4, 0x8
SMFIP_NOBODY, SMFIP_NOHDRS, SMFIP_NOEOH, SMFIP_NOUNKNOWN = 0x10, 0x20, 0x40, 0x100
SMFIP_NR_CONN, SMFIP_NR_HELO, SMFIP_NR_MAIL = 0x1000, 0x2000, 0x4000
SMFIP_NR_RCPT, SMFIP_NR_HDR, SMFIP_NR_EOH, SMFIP_NR_BODY = 0x8000, 0x80, 0x40000, 0x80000
SMFIP_NODATA, SMFIP_HDR_LEADSPC = 0x200, 0x100000
CURR_ACTS, CURR_PROT = 0x1FF, 0x1FFFFF
# the SMFIP_NO* bit that excludes each command (and macros for its stage)
EXCLUDED_BY = {b"C": SMFIP_NOCONNECT, b"H": SMFIP_NOHELO, b"M": SMFIP_NOMAIL,
               b"R": SMFIP_NORCPT, b"T": SMFIP_NODATA, b"L": SMFIP_NOHDRS,
               b"N": SMFIP_NOEOH, b"B": SMFIP_NOBODY, b"U": SMFIP_NOUNKNOWN}
FINAL = b"acrtdy"  # replies that end a step (y = reply code, then the verdict)


class Milter:
    TIMEOUT = 30

    def __init__(self, port, host="127.0.0.1", actions=CURR_ACTS, proto=CURR_PROT):
        self.s = socket.create_connection((host, port), timeout=self.TIMEOUT)
        self.send(b"O", struct.pack(">III", 6, actions, proto))
        cmd, data = self.read()
        if cmd != b"O":
            raise RuntimeError("negotiation answered %r" % cmd)
        # the actions and protocol steps the milter negotiated
        _, self.actions, self.proto = struct.unpack(">III", data[:12])

    def send(self, cmd, data=b""):
        self.s.sendall(struct.pack(">I", len(data) + 1) + cmd + data)

    def _recv(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.s.recv(n - len(buf))
            if not chunk:
                raise EOFError("milter closed the connection")
            buf += chunk
        return buf

    def read(self):
        (n,) = struct.unpack(">I", self._recv(4))
        data = self._recv(n)
        return data[:1], data[1:]

    def excluded(self, cmd):
        """Whether the milter excluded command cmd (a letter: b"R") at negotiation."""
        return bool(self.proto & EXCLUDED_BY.get(cmd, 0))

    def step(self, cmd, data, noreply_flag, force=False):
        """Sends one command; returns the reply letter, or None if none is
        due or the command was left out because the milter excluded it
        (force=True sends it all the same)."""
        if self.excluded(cmd) and not force:
            return None
        self.send(cmd, data)
        if self.proto & noreply_flag:
            return None
        reply, _ = self.read()
        return reply.decode()

    def connect_info(self, host, family, addr="", port=25):
        data = host.encode() + b"\0" + family.encode()
        if family != "U":
            data += struct.pack(">H", port) + addr.encode() + b"\0"
        return self.step(b"C", data, SMFIP_NR_CONN)

    def helo(self, name):
        return self.step(b"H", name.encode() + b"\0", SMFIP_NR_HELO)

    def macro(self, stage, values, force=False):
        """Macros for stage (the command letter: b"M"); left out with the
        command when the milter excluded it, unless force=True."""
        if self.excluded(stage) and not force:
            return
        data = stage
        for k, v in values.items():
            data += k.encode() + b"\0" + v.encode() + b"\0"
        self.send(b"D", data)

    def mail(self, *args):
        return self.step(b"M", b"".join(a.encode() + b"\0" for a in args), SMFIP_NR_MAIL)

    def rcpt(self, *args):
        return self.step(b"R", b"".join(a.encode() + b"\0" for a in args), SMFIP_NR_RCPT)

    def header(self, name, value):
        """value is bytes, without the space after the colon."""
        if isinstance(name, str):
            name = name.encode()
        if self.proto & SMFIP_HDR_LEADSPC:
            value = b" " + value
        return self.step(b"L", name + b"\0" + value + b"\0", SMFIP_NR_HDR)

    def eoh(self):
        return self.step(b"N", b"", SMFIP_NR_EOH)

    def body(self, data, chunk=65535):
        reply = None
        for i in range(0, len(data), chunk):
            reply = self.step(b"B", data[i:i + chunk], SMFIP_NR_BODY)
            if reply not in (None, "c"):
                break
        return reply

    def eom(self):
        """Returns (final reply letter, [(action letter, decoded fields)]);
        a reject or tempfail with a text ends with ("y", "550 5.7.1 text")
        and the letter "y"."""
        self.send(b"E")
        actions = []
        while True:
            cmd, data = self.read()
            if cmd == b"p":
                continue
            if cmd in b"im":  # insert / change: index, name, value
                (idx,) = struct.unpack(">I", data[:4])
                name, value = data[4:].split(b"\0")[:2]
                actions.append((cmd.decode(), idx, name.decode(), value.decode("latin-1")))
            elif cmd == b"y":  # the reply text is itself the final answer
                actions.append(("y", data.rstrip(b"\0").decode("latin-1")))
                return "y", actions
            elif cmd in b"hq":
                actions.append((cmd.decode(),) + tuple(
                    f.decode("latin-1") for f in data.split(b"\0")[:-1]))
            if cmd in b"acrtd":
                return cmd.decode(), actions

    def abort(self):
        self.send(b"A")

    def quit(self):
        self.send(b"Q")
        self.s.close()

    def close(self):
        self.s.close()


def message(m, qid, headers, body=b"Hello.\r\n", mail_from="<alice@example.com>",
            rcpt="<bob@example.org>"):
    """One whole transaction on an open, introduced connection m."""
    m.macro(b"M", {"i": qid} if qid else {})
    r = m.mail(mail_from)
    if r not in (None, "c"):
        return r, []
    m.rcpt(rcpt)
    for name, value in headers:
        r = m.header(name, value if isinstance(value, bytes) else value.encode())
        if r not in (None, "c"):
            return r, []
    m.eoh()
    if body:
        m.body(body)
    return m.eom()


def client(port, ip="192.0.2.10", helo="mail.example.com"):
    m = Milter(port)
    m.connect_info("mail.example.com", "6" if ":" in ip else "4", ip)
    if helo is not None:
        m.helo(helo)
    return m
