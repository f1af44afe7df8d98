#!/usr/bin/python3
"""arcchain.py - build ARC chains at test time (python3-dkim's arc_sign)

  arcchain.py STEP... < message > message

Each STEP changes the message in order:
  seal:KEY:ALG:DOMAIN:SELECTOR[:RESULTS]
      one hop: the intermediary DOMAIN records its results in an
      Authentication-Results header (authserv-id DOMAIN; RESULTS, ";"
      separated; "arc=pass" is added from the second hop on, which is the
      cv it seals), then seals the message (ARC-Authentication-Results,
      ARC-Message-Signature, ARC-Seal for the next instance) with KEY
      (dkimkeys.py genkey output) and ALG (rsa-sha256 | ed25519-sha256).
      The A-R header is left in place, as a forwarder's would be (one of
      the same DOMAIN from an earlier hop is replaced).
  list
      what a mailing list does: "[list] " in front of the Subject, a footer
      at the end of the body (breaks the author's DKIM signature)
  append:TEXT     TEXT and CRLF added to the body
  tamper-aar:N    one byte changed in the ARC-Authentication-Results of
                  instance N (after sealing: breaks every seal from N on)
  copy-set:N:M    the three ARC header fields of instance N copied as
                  instance M (only the i= values change), prepended
Messages are CRLF; the input may be LF.
"""
import re
import sys

import dkim


def split(msg):
    head, _, body = msg.partition(b"\r\n\r\n")
    return head + b"\r\n", body


def seal(msg, keyfile, alg, domain, selector, results, hop):
    with open(keyfile, "rb") as f:
        key = f.read()
    res = [r.strip() for r in results.split(";") if r.strip()] if results else []
    if hop > 1:
        res.insert(0, "arc=pass")
    if not res:
        res = ["none"]
    ar = ("Authentication-Results: %s; %s\r\n" % (domain, "; ".join(res))).encode()
    # an earlier hop through the same host left its own: this one replaces it
    msg = re.sub(rb"(?mi)^Authentication-Results: %s;.*\r\n(?:[ \t].*\r\n)*" %
                 re.escape(domain.encode()), b"", msg)
    msg = ar + msg
    heads = [b"from", b"to", b"subject", b"date", b"message-id"]
    if alg == "ed25519-sha256":
        # dkim.arc_sign() always seals rsa-sha256; its ARC class signs
        # ed25519 (gen_header) with a nacl key made from the base64 seed,
        # as dkim.sign() makes one, once the RSA-only key reader is swapped
        import nacl.encoding
        import nacl.signing
        pem = dkim.parse_pem_private_key
        dkim.parse_pem_private_key = lambda k: nacl.signing.SigningKey(
            k, encoder=nacl.encoding.Base64Encoder)
        try:
            a = dkim.ARC(msg, signature_algorithm=b"ed25519-sha256", linesep=b"\r\n")
            hdrs = a.sign(selector.encode(), domain.encode(), key, domain.encode(),
                          include_headers=heads)
        finally:
            dkim.parse_pem_private_key = pem
    else:
        hdrs = dkim.arc_sign(msg, selector.encode(), domain.encode(), key, domain.encode(),
                             include_headers=heads)
    if not hdrs:
        sys.exit("arcchain: arc_sign made no ARC set")
    return b"".join(hdrs) + msg


def listify(msg):
    head, body = split(msg)
    head = re.sub(rb"(?mi)^Subject: ", b"Subject: [list] ", head, count=1)
    return head + b"\r\n" + body + b"--\r\nlist footer: unsubscribe at lists.example\r\n"


def tamper_aar(msg, n):
    m = re.search(rb"(?m)^ARC-Authentication-Results: i=%d;[^\r]*" % n, msg)
    if m is None:
        sys.exit("arcchain: no ARC-Authentication-Results for i=%d" % n)
    line = m.group(0)
    bad = line[:-1] + (b"X" if line[-1:] != b"X" else b"Y")
    return msg[:m.start()] + bad + msg[m.end():]


def copy_set(msg, n, m):
    head, body = split(msg)
    fields = re.findall(rb"(?ms)^(ARC-(?:Seal|Message-Signature|Authentication-Results):"
                        rb".*?\r\n)(?=\S)", head)
    out = b""
    for f in fields:
        if re.search(rb"[:;]\s*i=%d\s*;" % n, f):
            out += re.sub(rb"([:;]\s*i=)%d(\s*;)" % n, rb"\g<1>%d\2" % m, f, count=1)
    return out + head + b"\r\n" + body


def main(steps):
    msg = sys.stdin.buffer.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    hop = 0
    for step in steps:
        parts = step.split(":", 5)
        if parts[0] == "seal":
            hop += 1
            msg = seal(msg, parts[1], parts[2], parts[3], parts[4],
                       parts[5] if len(parts) > 5 else "", hop)
        elif parts[0] == "list":
            msg = listify(msg)
        elif parts[0] == "append":
            msg += parts[1].encode() + b"\r\n"
        elif parts[0] == "tamper-aar":
            msg = tamper_aar(msg, int(parts[1]))
        elif parts[0] == "copy-set":
            msg = copy_set(msg, int(parts[1]), int(parts[2]))
        else:
            sys.exit("arcchain: unknown step %r" % step)
    sys.stdout.buffer.write(msg)


if __name__ == "__main__":
    main(sys.argv[1:])
