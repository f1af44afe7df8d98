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
  e2e.py utf8send PORT IP MAILFROM FILE
      one message from address IP with MAIL FROM:<MAILFROM> SMTPUTF8 (MAILFROM
      may be UTF-8); prints "CODE TEXT" of the final reply
  e2e.py binom N P CONF              the two-sided CONF interval [lo, hi] of a
                                     Binomial(N, P) count
  e2e.py mixsend PORT OUT SESSIONS PER DELAY MODE KIND...
      SESSIONS parallel SMTP sessions of PER messages each; session s uses
      KIND number s % len(KINDS), a KIND being "IP,MAILFROM,FILE" (FILE a
      template as for send); message k = s + SESSIONS * j is the j-th of
      session s. MODE "retry": a session whose connection fails or is closed
      (421, reset), or whose message got a 4xx reply, quits and opens a new
      connection for its next message, as a sending MTA would (a fault stream);
      MODE "hold": every session connects and says EHLO, all wait for each
      other (a barrier), send, wait again, then QUIT, so all SESSIONS are
      open at once (a burst); a refused session sends nothing more. Writes
      "k session seq code text" lines like send; code 0 means no reply (the
      connection could not be opened or was lost), and its text starts with
      "connect:" (nothing sent), "lost:" (the connection broke in the
      middle: the outcome is unknown to the client) or "unsent:" (hold mode,
      after a refusal). The SMTP greeting and EHLO replies, when not 220/250,
      are the message's code ("connect: ..." text). Exit 0 unless a barrier
      timed out. With MIXSEND_ONLY=FILE in the environment, only the messages
      k listed in FILE (one a line) are sent (each from its usual session).
  e2e.py stamped SINKDIR AUTHSERV    per delivered message: "MSGID N RESULTS",
                                     N the number of Authentication-Results
                                     headers with authserv-id AUTHSERV and
                                     RESULTS the first one's "spf=.. dkim=.. dmarc=.."
                                     ("-" if N is 0)
  e2e.py procinfo PID                "RSS_KB HWM_KB THREADS FDS" of process PID
  e2e.py hwmreset PID                reset PID's peak RSS (VmHWM) to its current
                                     RSS (/proc/PID/clear_refs); exit 1 if refused
  e2e.py procwatch PID OUT STOPFILE  sample PID every 20 ms until STOPFILE exists
                                     or PID is gone; then write "MAX_RSS_KB
                                     MAX_THREADS MAX_FDS SAMPLES" to OUT
  e2e.py settleproc PID THREADS FDS SECONDS
                                     wait until PID has at most THREADS threads and
                                     FDS descriptors; print "THREADS FDS"; exit 1 if
                                     not within SECONDS
  e2e.py bigmsg OUT MBYTES MSGID FROM [KEYFILE DOMAIN SELECTOR]
                                     write a message (CRLF) with a body of MBYTES
                                     MiB of 87-byte text lines; DKIM-sign it
                                     (rsa-sha256, relaxed/simple: python3-dkim's
                                     relaxed body needs ~30x the size in memory)
                                     when a key is given
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


def smtp_open(port, ip, timeout):
    """A new session, EHLO said: (smtp, 0, '') or (None, code, text)."""
    s = smtplib.SMTP(local_hostname='mail.sender.example', source_address=(ip, 0),
                     timeout=timeout)
    try:
        code, text = s.connect('127.0.0.1', int(port))
        if code == 220:
            code, text = s.ehlo()
            if code == 250:
                return s, 0, ''
    except (OSError, smtplib.SMTPException) as e:
        s.close()
        return None, 0, 'connect: %s' % (' '.join(str(e).split()) or type(e).__name__)
    s.close()
    return None, code, 'connect: ' + text.decode('utf-8', 'replace')


def smtp_one(s, mailfrom, data):
    """One transaction: (code, text, still-usable)."""
    try:
        s.sendmail(mailfrom, ['user@example.org'], data)
        return 250, 'ok', True
    except smtplib.SMTPRecipientsRefused as e:
        code, text = list(e.recipients.values())[0]
    except smtplib.SMTPServerDisconnected as e:
        return 0, 'lost: %s' % (str(e) or 'disconnected'), False
    except smtplib.SMTPResponseException as e:
        code, text = e.smtp_code, e.smtp_error
    except (OSError, smtplib.SMTPException) as e:
        return 0, 'lost: %s' % (str(e) or type(e).__name__), False
    text = text.decode('utf-8', 'replace') if isinstance(text, bytes) else str(text)
    if code == 421:
        return code, text, False
    try:
        s.rset()
    except (OSError, smtplib.SMTPException):
        return code, text, False
    return code, text, True


def cmd_utf8send(port, ip, mailfrom, path):
    """One message with MAIL FROM ... SMTPUTF8 (MAILFROM may be UTF-8):
    prints "CODE TEXT" of the reply to the end of DATA (or to MAIL)."""
    s, code, text = smtp_open(port, ip, 30)
    if s is None:
        print(code, text)
        return 1
    if not s.has_extn('smtputf8'):
        print(0, 'no SMTPUTF8 in the EHLO reply')
        return 1
    with open(path, 'rb') as f:
        data = f.read()
    try:
        s.sendmail(mailfrom, ['user@example.org'], data, mail_options=['SMTPUTF8'])
        code, text = 250, 'ok'
    except smtplib.SMTPResponseException as e:
        code, text = e.smtp_code, e.smtp_error.decode('utf-8', 'replace')
    except smtplib.SMTPRecipientsRefused as e:
        code, text = list(e.recipients.values())[0]
        text = text.decode('utf-8', 'replace')
    s.close()
    print(code, ' '.join(str(text).split()))
    return 0


def mix_session(port, kind, sid, ks, delay, hold, barrier, out, lock):
    ip, mailfrom, template = kind
    recs = []
    s, code, text = smtp_open(port, ip, 120)
    if hold:
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
    for seq, k in enumerate(ks):
        if s is None and not hold and seq > 0:
            s, code, text = smtp_open(port, ip, 120)
        if s is None:
            recs.append((k, sid, seq, code, text))
            if hold and not text.startswith('unsent:'):
                code, text = 0, 'unsent: after ' + text
            continue
        c, t, usable = smtp_one(s, mailfrom, template.replace(b'%N%', str(k).encode()))
        recs.append((k, sid, seq, c, t))
        if usable and not hold and 400 <= c < 500:
            try:
                s.quit()
            except (OSError, smtplib.SMTPException):
                pass
            usable = False
        if not usable:
            s.close()
            s, code, text = None, 0, 'unsent: the session was closed after %d %s' % (c, t)
        if delay > 0:
            time.sleep(delay)
    if hold:
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
    if s is not None:
        try:
            s.quit()
        except (OSError, smtplib.SMTPException):
            s.close()
    with lock:
        out.extend((r[0], r[1], r[2], r[3], ' '.join(r[4].split())) for r in recs)


def cmd_mixsend(port, out, sessions, per, delay, mode, *kinds):
    sessions, per, delay, hold = int(sessions), int(per), float(delay), mode == 'hold'
    ks = []
    for k in kinds:
        ip, mailfrom, path = k.split(',', 2)
        with open(path, 'rb') as f:
            t = f.read().replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')
        ks.append((ip, mailfrom, t))
    only = None
    if os.environ.get('MIXSEND_ONLY'):
        with open(os.environ['MIXSEND_ONLY']) as f:
            only = set(int(x) for x in f.read().split())
    barrier = threading.Barrier(sessions, timeout=120)
    recs, lock, threads = [], threading.Lock(), []
    for sid in range(sessions):
        t = threading.Thread(target=mix_session,
                             args=(port, ks[sid % len(ks)], sid,
                                   [sid + sessions * j for j in range(per)
                                    if only is None or sid + sessions * j in only],
                                   delay, hold,
                                   barrier, recs, lock))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    with open(out, 'w') as f:
        for r in sorted(recs, key=lambda r: (r[1], r[2])):
            f.write('%d %d %d %d %s\n' % r)
    if barrier.broken:
        sys.stderr.write('mixsend: a barrier timed out\n')
        return 1
    return 0


def cmd_stamped(sinkdir, authserv):
    import authres
    for _, m in sink_messages(sinkdir):
        ours = []
        for v in m.get_all('Authentication-Results') or []:
            h = authres.AuthenticationResultsHeader.parse('Authentication-Results: ' +
                                                          unfold(v))
            if h.authserv_id.lower() == authserv.lower():
                ours.append(' '.join('%s=%s' % (r.method, r.result) for r in h.results))
        print(msgid_of(m), len(ours), ours[0] if ours else '-')
    return 0


def proc_sample(pid):
    """(rss_kb, hwm_kb, threads, fds) of pid, or None once it is gone."""
    try:
        with open('/proc/%s/status' % pid) as f:
            st = dict(line.split(':', 1) for line in f if ':' in line)
        fds = len(os.listdir('/proc/%s/fd' % pid))
    except OSError:
        return None
    return (int(st['VmRSS'].split()[0]), int(st['VmHWM'].split()[0]), int(st['Threads']), fds)


def cmd_procinfo(pid):
    s = proc_sample(pid)
    if s is None:
        return 1
    print('%d %d %d %d' % s)
    return 0


def cmd_hwmreset(pid):
    try:
        with open('/proc/%s/clear_refs' % pid, 'w') as f:
            f.write('5')
    except OSError:
        return 1
    return 0


def cmd_procwatch(pid, out, stopfile):
    mx, n = [0, 0, 0], 0
    while not os.path.exists(stopfile):
        s = proc_sample(pid)
        if s is None:
            break
        mx = [max(mx[0], s[0]), max(mx[1], s[2]), max(mx[2], s[3])]
        n += 1
        time.sleep(0.02)
    with open(out + '.new', 'w') as f:
        f.write('%d %d %d %d\n' % (mx[0], mx[1], mx[2], n))
    os.rename(out + '.new', out)
    return 0


def cmd_settleproc(pid, threads, fds, seconds):
    until = time.monotonic() + float(seconds)
    while True:
        s = proc_sample(pid)
        if s is None:
            return 1
        if s[2] <= int(threads) and s[3] <= int(fds):
            break
        if time.monotonic() > until:
            print(s[2], s[3])
            return 1
        time.sleep(0.05)
    print(s[2], s[3])
    return 0


def cmd_bigmsg(out, mbytes, msgid, mailfrom, keyfile=None, domain=None, selector=None):
    line = b'The quick brown fox jumps over the lazy dog; 0123456789 abcdefghijklmnopqrst.\r\n'
    n = int(float(mbytes) * 1024 * 1024) // len(line)
    head = ('From: Sender <%s>\r\nTo: user@example.org\r\nSubject: e2e big %s\r\n'
            'Date: Wed, 25 Nov 2026 12:00:00 +0000\r\nMessage-ID: <%s>\r\n' %
            (mailfrom, msgid, msgid)).encode()
    msg = head + b'\r\n' + line * n
    if keyfile:
        import dkim
        with open(keyfile, 'rb') as f:
            key = f.read()
        msg = dkim.sign(msg, selector.encode(), domain.encode(), key,
                        include_headers=[b'from', b'to', b'subject', b'date', b'message-id'],
                        canonicalize=(b'relaxed', b'simple')) + msg
    with open(out, 'wb') as f:
        f.write(msg)
    return 0


if __name__ == '__main__':
    fn = globals()['cmd_' + sys.argv[1]]
    sys.exit(fn(*sys.argv[2:]) or 0)
