#!/usr/bin/python3
"""dkimkeys.py - make DKIM keys and signed messages at test time (python3-dkim)

  dkimkeys.py genkey rsa BITS PRIVFILE      prints the DNS record "v=DKIM1; k=rsa; p=..."
  dkimkeys.py genkey ed25519 PRIVFILE       prints "v=DKIM1; k=ed25519; p=..."
  dkimkeys.py sign PRIVFILE DOMAIN SELECTOR ALG [HEADERS] [--length] < message > signed
      ALG rsa-sha256 | rsa-sha1 | ed25519-sha256; HEADERS comma-separated
      (default from,to,subject,date,message-id); --length adds l= (the
      whole body as signed). DOMAIN may be UTF-8 (d= in U-labels). The
      signature is prepended.
Keys are generated fresh on every run; none is kept in the repository.
"""
import base64
import subprocess
import sys

import dkim


def genkey(kind, args):
    if kind == 'rsa':
        bits, path = args
        subprocess.run(['openssl', 'genrsa', '-out', path, bits], check=True,
                       stderr=subprocess.DEVNULL)
        der = subprocess.run(['openssl', 'rsa', '-in', path, '-pubout', '-outform', 'DER'],
                             check=True, capture_output=True).stdout
        print('v=DKIM1; k=rsa; p=' + base64.b64encode(der).decode())
    else:
        import nacl.signing
        (path,) = args
        key = nacl.signing.SigningKey.generate()
        with open(path, 'wb') as f:
            f.write(base64.b64encode(bytes(key)))
        print('v=DKIM1; k=ed25519; p=' + base64.b64encode(bytes(key.verify_key)).decode())


def sign(args):
    length = '--length' in args
    args = [a for a in args if a != '--length']
    path, domain, selector, alg = args[:4]
    headers = (args[4] if len(args) > 4 else 'from,to,subject,date,message-id').split(',')
    msg = sys.stdin.buffer.read()
    with open(path, 'rb') as f:
        key = f.read()
    sig = dkim.sign(msg, selector.encode(), domain.encode(), key,
                    include_headers=[h.encode() for h in headers],
                    signature_algorithm=alg.encode(), canonicalize=(b'relaxed', b'relaxed'),
                    length=length)
    sys.stdout.buffer.write(sig + msg)


if __name__ == '__main__':
    if sys.argv[1] == 'genkey':
        genkey(sys.argv[2], sys.argv[3:])
    else:
        sign(sys.argv[2:])
