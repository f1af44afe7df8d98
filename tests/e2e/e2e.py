#!/usr/bin/python3
"""e2e.py - helpers for the end-to-end tests with a real Postfix (tests/e2e/lib.sh)

  e2e.py port                        print a free TCP port on 127.0.0.1
  e2e.py waitport PORT SECONDS       exit 0 once 127.0.0.1:PORT accepts a connection
  e2e.py watchdog SECONDS PID        after SECONDS: print a TAP "Bail out!", then
                                     SIGTERM PID's other children and PID itself
  e2e.py headers SINKDIR MSGID NAME  the values of header NAME (unfolded, in order,
                                     one a line) of the message delivered to
                                     smtp-sink with Message-ID <MSGID>; exit 1 if
                                     no such message, 2 if delivered more than once
  e2e.py results VALUE               "spf=pass dkim=pass dmarc=pass" from one
                                     Authentication-Results value (python3-authres)
  e2e.py delivered SINKDIR           the Message-IDs delivered to smtp-sink, one a line
  e2e.py queue PFCONF                "QUEUE MSGID" for each message in Postfix's
                                     queues (postqueue -c PFCONF -j), one a line
  e2e.py send PORT IP MAILFROM FILE N SESSIONS DELAY OUT
      send N copies of the message in FILE to 127.0.0.1:PORT from address IP
      (envelope sender MAILFROM, recipient user@example.org) over
      SESSIONS parallel SMTP sessions (DELAY seconds between messages of a
      session). Copy k has Message-ID <e2e-k@TAG> (the "@TAG" part comes from
      the template's Message-ID line: "Message-ID: <%N%@TAG>" with %N% replaced).
      Writes "k session seq code text" per message to OUT, in sending order
      per session. Exits 1 if any session failed to talk SMTP at all.
  e2e.py binom N P CONF              the two-sided CONF interval [lo, hi] of a
                                     Binomial(N, P) count
Everything here is stdlib or Debian-packaged (python3-authres).
"""
import email.parser
import email.policy
import glob
import json
import math
import os
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time


def cmd_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    print(s.getsockname()[1])
    s.close()


def cmd_waitport(port, seconds):
    until = time.monotonic() + float(seconds)
    while time.monotonic() < until:
        try:
            socket.create_connection(('127.0.0.1', int(port)), timeout=1).close()
            return 0
        except OSError:
            time.sleep(0.05)
    return 1


def children(pid):
    out = []
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % d) as f:
                st = f.read()
        except OSError:
            continue
        if int(st[st.rindex(')') + 2:].split()[1]) == pid:
            out.append(int(d))
    return out


def cmd_watchdog(seconds, pid):
    pid = int(pid)
    time.sleep(float(seconds))
    sys.stdout.write('Bail out! e2e watchdog: the test ran longer than %s s\n' % seconds)
    sys.stdout.flush()
    # The shell runs its EXIT trap only after its foreground child ends.
    for c in children(pid):
        if c != os.getpid():
            try:
                os.kill(c, signal.SIGTERM)
            except OSError:
                pass
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        pass
    return 0


def sink_messages(sinkdir):
    """(path, message) for every file smtp-sink wrote; the first lines are
    smtp-sink's own X-Client-* records, which parse as header fields too."""
    parser = email.parser.BytesParser(policy=email.policy.compat32)
    for path in sorted(glob.glob(os.path.join(sinkdir, '*'))):
        with open(path, 'rb') as f:
            yield path, parser.parse(f, headersonly=True)


def unfold(v):
    return ' '.join(str(v).replace('\r', '').replace('\n', ' ').split())


def msgid_of(m):
    v = m.get('Message-ID')
    return unfold(v).strip('<>') if v is not None else ''


def cmd_headers(sinkdir, msgid, name):
    found = [m for _, m in sink_messages(sinkdir) if msgid_of(m) == msgid]
    if not found:
        return 1
    if len(found) > 1:
        return 2
    for v in found[0].get_all(name) or []:
        print(unfold(v))
    return 0


def cmd_results(value):
    import authres
    h = authres.AuthenticationResultsHeader.parse('Authentication-Results: ' + value)
    print(' '.join('%s=%s' % (r.method, r.result) for r in h.results))
    return 0


def cmd_delivered(sinkdir):
    for _, m in sink_messages(sinkdir):
        print(msgid_of(m))
    return 0


def cmd_queue(pfconf):
    out = subprocess.run(['postqueue', '-c', pfconf, '-j'], capture_output=True, timeout=30,
                         check=True).stdout.decode()
    ids = {}
    for line in out.splitlines():
        j = json.loads(line)
        ids[j['queue_id']] = j['queue_name']
    # postqueue -j has no Message-ID: read it with postcat (root only).
    for qid, qname in sorted(ids.items()):
        r = subprocess.run(['postcat', '-c', pfconf, '-h', '-q', qid], capture_output=True,
                           timeout=30)
        mid = '-'
        for line in r.stdout.decode('utf-8', 'replace').splitlines():
            if line.lower().startswith('message-id:'):
                mid = line.split(':', 1)[1].strip().strip('<>')
                break
        print(qname, mid)
    return 0


def send_session(port, ip, mailfrom, template, ks, delay, results, lock, sid, errors):
    seq = 0
    try:
        s = smtplib.SMTP('127.0.0.1', int(port), local_hostname='mail.sender.example',
                         source_address=(ip, 0), timeout=60)
        for k in ks:
            data = template.replace(b'%N%', str(k).encode())
            try:
                s.sendmail(mailfrom, ['user@example.org'], data)
                code, text = 250, 'ok'
            except smtplib.SMTPResponseException as e:
                code, text = e.smtp_code, e.smtp_error.decode('utf-8', 'replace')
                s.rset()
            except smtplib.SMTPRecipientsRefused as e:
                code, text = list(e.recipients.values())[0]
                text = text.decode('utf-8', 'replace')
                s.rset()
            with lock:
                results.append((k, sid, seq, code, ' '.join(text.split())))
            seq += 1
            if delay > 0:
                time.sleep(delay)
        s.quit()
    except (OSError, smtplib.SMTPException) as e:
        with lock:
            errors.append('session %d: %s' % (sid, e))


def cmd_send(port, ip, mailfrom, path, n, sessions, delay, out):
    with open(path, 'rb') as f:
        template = f.read().replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')
    n, sessions, delay = int(n), int(sessions), float(delay)
    results, errors, lock = [], [], threading.Lock()
    threads = []
    for sid in range(sessions):
        ks = list(range(sid, n, sessions))
        t = threading.Thread(target=send_session,
                             args=(port, ip, mailfrom, template, ks, delay, results, lock, sid,
                                   errors))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    with open(out, 'w') as f:
        for r in sorted(results, key=lambda r: (r[1], r[2])):
            f.write('%d %d %d %d %s\n' % r)
    for e in errors:
        sys.stderr.write(e + '\n')
    return 1 if errors else 0


def cmd_binom(n, p, conf):
    n, p, conf = int(n), float(p), float(conf)
    tail = (1 - conf) / 2
    pmf = [math.comb(n, k) * p ** k * (1 - p) ** (n - k) for k in range(n + 1)]
    lo, acc = 0, 0.0
    while acc + pmf[lo] <= tail:
        acc += pmf[lo]
        lo += 1
    hi, acc = n, 0.0
    while acc + pmf[hi] <= tail:
        acc += pmf[hi]
        hi -= 1
    print(lo, hi)
    return 0


if __name__ == '__main__':
    fn = globals()['cmd_' + sys.argv[1]]
    sys.exit(fn(*sys.argv[2:]) or 0)
