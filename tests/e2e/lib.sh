# tests/e2e/lib.sh - authmilter end to end with a real Postfix (TAP helpers)
#
# Source it from a test script:  . "$top_srcdir/tests/e2e/lib.sh"
# It sources tests/lib.sh (am_plan, am_is, am_like, am_start_dns, ...) and
# builds, in a private temporary directory, the chain
#
#   swaks / e2e.py send --SMTP--> Postfix smtpd (127.0.0.1:$E2E_SMTP_PORT)
#       --milter--> authmilter (inet:$E2E_MILTER_PORT@127.0.0.1) --DNS--> amdns.py
#   Postfix smtp client --SMTP--> smtp-sink (127.0.0.1:$E2E_SINK_PORT),
#       one file per delivered message in $E2E_SINK
#
#   e2e_init SECONDS          skip unless root with Postfix and swaks; make
#                             $T (= $AM_TMP); a watchdog bails out after SECONDS
#   e2e_dns                   keys and the test zone (below), DNS server started
#   e2e_sink                  start smtp-sink
#   e2e_milter_conf POLICY    write $T/milter.conf; POLICY is the body of the
#                             policy group (trusted_networks = [] unless given)
#   e2e_milter                start authmilter -f (stderr: $T/milter.log)
#   e2e_postfix               write main.cf/master.cf, start the instance
#   e2e_up POLICY             all of the above, in order
#   e2e_msg FILE FROM ID [EXTRA-HEADER-LINES]   write a message (CRLF)
#   e2e_sign FILE DOMAIN      DKIM-sign FILE in place (rsa-sha256, selector e2e)
#   e2e_swaks OUT IP MAILFROM FILE   send FILE with swaks; its output in OUT
#   e2e_reply OUT             the server's reply to the end of DATA in OUT
#   e2e_settle                wait until Postfix has no message in flight
#   e2e_queue                 "QUEUE MSGID" lines of the queued messages
#   e2e_headers ID NAME       header NAME of the delivered message <ID>
#   e2e_verdicts              the milter's per-message log lines so far
#   e2e_milter_restart        start authmilter again after it died or was killed
#                             (waits for its new start line and its port)
#   e2e_forget PID            drop a process already waited for from the list
#                             stopped at exit (its PID may be reused by then)
# Optional settings, read when the files are written (unset: the defaults):
#   E2E_ZONE_EXTRA      more zone lines (name TAB type TAB rdata) for e2e_dns
#   E2E_KEY_DOMAINS     more domains whose selector e2e holds the test key
#   E2E_MILTER_EXTRA    more top-level lines for milter.conf (e.g. "limits = {...};")
#   E2E_PF_MAIN_EXTRA   "name = value" lines for Postfix's main.cf (postconf -e)
#   E2E_SMTPD_MAXPROC   the smtpd service's process limit in master.cf
#
# Clients, all on lo (the whole 127.0.0.0/8 is local on Linux):
#   127.0.0.10  authorized by every SPF record below ($E2E_GOOD)
#   127.0.0.20  authorized by none ($E2E_BAD)
#   127.0.0.30, 127.0.0.40  free for allow_networks / trusted_networks tests
# Domains: pass.example (p=reject, DKIM key e2e), reject.example (p=reject),
# quar.example (p=quarantine), half.example (p=reject; pct=50),
# allowed.example (p=reject, for allow_domains).
# E2E_KEEP=1 in the environment keeps the temporary directory (logs, queue).
# Every external command runs under timeout(1); everything started here is
# stopped at exit, Postfix first (postfix stop, then abort if it lingers).

. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

E2E_AUTHSERV=mx.e2e.test
E2E_GOOD=127.0.0.10
E2E_BAD=127.0.0.20
E2E_PY="$PYTHON3 $top_srcdir/tests/e2e/e2e.py"
E2E_KEYS="$PYTHON3 $top_srcdir/tests/integration/dkimkeys.py"
E2E_PF=""
E2E_MILTER_PID=""

e2e_skip() {
	echo "1..0 # SKIP $1"
	exit 0
}

e2e_init() {
	[ "$(id -u)" = 0 ] || e2e_skip "the Postfix end-to-end tests run as root"
	for c in postfix postqueue postcat smtp-sink swaks timeout; do
		command -v "$c" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin
		command -v "$c" >/dev/null 2>&1 || e2e_skip "$c is not installed"
	done
	id postfix >/dev/null 2>&1 || e2e_skip "no postfix user (install the postfix package)"
	id nobody >/dev/null 2>&1 && getent group nogroup >/dev/null 2>&1 ||
		e2e_skip "no nobody user or nogroup group"
	am_tmp
	T=$AM_TMP
	# The daemon rereads its configuration as nobody on SIGHUP, and Postfix's
	# unprivileged processes open files below here by absolute name.
	chmod 755 "$T"
	trap e2e_cleanup EXIT
	$E2E_PY watchdog "$1" $$ &
	AM_PIDS="$AM_PIDS $!"
}

e2e_cleanup() {
	rc=$?
	if [ -n "$E2E_PF" ]; then
		timeout 20 postfix -c "$E2E_PF" stop >/dev/null 2>&1
		i=0
		while timeout 5 postfix -c "$E2E_PF" status >/dev/null 2>&1; do
			i=$((i + 1))
			if [ $i -gt 50 ]; then
				timeout 10 postfix -c "$E2E_PF" abort >/dev/null 2>&1
				break
			fi
			sleep 0.1
		done
	fi
	if [ -n "${E2E_KEEP:-}" ]; then
		echo "# E2E_KEEP: kept $AM_TMP"
		AM_TMP=""
	fi
	am_cleanup
	exit $rc
}

e2e_fail() {
	echo "Bail out! $*"
	for f in "$T"/milter.log "$T"/maillog "$T"/dns.err; do
		[ -s "$f" ] && sed "s|^|# ${f##*/}: |" "$f" | tail -20
	done
	exit 1
}

e2e_port() {
	$E2E_PY port
}

e2e_dns() {
	key=$(timeout 60 $E2E_KEYS genkey rsa 2048 "$T/e2e.key") || e2e_fail "no DKIM key"
	spf="\"v=spf1 ip4:$E2E_GOOD -all\""
	{
		for d in pass.example reject.example quar.example half.example allowed.example; do
			printf '%s\tTXT\t%s\n' "$d" "$spf"
		done
		printf 'mail.sender.example\tTXT\t%s\n' "$spf"
		for d in pass.example ${E2E_KEY_DOMAINS:-}; do
			printf 'e2e._domainkey.%s\tTXT\t"%s"\n' "$d" "$key"
		done
		[ -z "${E2E_ZONE_EXTRA:-}" ] || printf '%s\n' "$E2E_ZONE_EXTRA"
		printf '_dmarc.pass.example\tTXT\t"v=DMARC1; p=reject"\n'
		printf '_dmarc.reject.example\tTXT\t"v=DMARC1; p=reject"\n'
		printf '_dmarc.quar.example\tTXT\t"v=DMARC1; p=quarantine"\n'
		printf '_dmarc.half.example\tTXT\t"v=DMARC1; p=reject; pct=50"\n'
		printf '_dmarc.allowed.example\tTXT\t"v=DMARC1; p=reject"\n'
	} > "$T/zone"
	am_start_dns "$T/zone"
}

e2e_sink() {
	E2E_SINK=$T/sink
	mkdir -p "$E2E_SINK"
	chown nobody "$E2E_SINK"
	E2E_SINK_PORT=$(e2e_port)
	smtp-sink -u nobody -d "$E2E_SINK/m." 127.0.0.1:"$E2E_SINK_PORT" 100 2>>"$T/sink.err" &
	AM_PIDS="$AM_PIDS $!"
	$E2E_PY waitport "$E2E_SINK_PORT" 10 || e2e_fail "smtp-sink did not start: $(cat "$T/sink.err")"
}

# e2e_milter_conf POLICY-GROUP-BODY [FILE]
e2e_milter_conf() {
	case $1 in
	*trusted_networks*) pol=$1 ;;
	*) pol="trusted_networks = [ ]; $1" ;;
	esac
	[ -n "${E2E_MILTER_PORT:-}" ] || E2E_MILTER_PORT=$(e2e_port)
	cat > "$T/milter.conf.new" <<CONF
socket = "inet:$E2E_MILTER_PORT@127.0.0.1";
user = "nobody";
group = "nogroup";
shutdown_timeout = 2;
authserv_id = "$E2E_AUTHSERV";
dns = { nameservers = [ "127.0.0.1@$AM_DNS_PORT" ]; timeout = 2.0; };
policy = { $pol };
CONF
	if [ -n "${E2E_MILTER_EXTRA:-}" ]; then
		printf '%s\n' "$E2E_MILTER_EXTRA" >> "$T/milter.conf.new"
	fi
	chmod 644 "$T/milter.conf.new"
	mv "$T/milter.conf.new" "${2:-$T/milter.conf}"
}

e2e_milter() {
	"$top_builddir/src/authmilter" -f -c "$T/milter.conf" 2>>"$T/milter.log" &
	E2E_MILTER_PID=$!
	AM_PIDS="$AM_PIDS $E2E_MILTER_PID"
	i=0
	until grep -q ' start version=' "$T/milter.log" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$E2E_MILTER_PID" 2>/dev/null; then
			e2e_fail "authmilter did not start"
		fi
		sleep 0.1
	done
	$E2E_PY waitport "$E2E_MILTER_PORT" 10 || e2e_fail "authmilter does not listen"
}

# A private Postfix: config, queue and data directories under $T, smtpd on
# a loopback port, everything relayed to smtp-sink, no DNS, no chroot, no
# local delivery, logs in $T/maillog.
e2e_postfix() {
	E2E_PF=$T/pf
	E2E_SMTP_PORT=$(e2e_port)
	mkdir -p "$E2E_PF" "$T/queue" "$T/data"
	chown postfix "$T/data"
	cat > "$E2E_PF/main.cf" <<CF
compatibility_level = 3.6
config_directory = $E2E_PF
queue_directory = $T/queue
data_directory = $T/data
maillog_file = $T/maillog
maillog_file_prefixes = $T
syslog_name = postfix-e2e
myhostname = $E2E_AUTHSERV
mydomain = e2e.test
myorigin = \$myhostname
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
relay_domains = example.org
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_peername_lookup = no
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
default_transport = smtp:[127.0.0.1]:$E2E_SINK_PORT
relay_transport = smtp:[127.0.0.1]:$E2E_SINK_PORT
smtp_dns_support_level = disabled
smtp_host_lookup = native
biff = no
smtpd_milters = inet:127.0.0.1:$E2E_MILTER_PORT
milter_default_action = tempfail
milter_protocol = 6
milter_connect_timeout = 10s
milter_command_timeout = 20s
milter_content_timeout = 30s
smtpd_client_connection_count_limit = 0
smtpd_client_message_rate_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 1000
smtpd_hard_error_limit = 1000
default_process_limit = 20
# Held and rejected mail returns no delivery "tokens" to the queue manager,
# and bursts of it then make smtpd pause up to in_flow_delay per message.
in_flow_delay = 0s
CF
	if [ -n "${E2E_PF_MAIN_EXTRA:-}" ]; then
		# one argument a line
		set -f
		old_ifs=$IFS
		IFS='
'
		timeout 10 postconf -c "$E2E_PF" -e $E2E_PF_MAIN_EXTRA >>"$T/postfix.out" 2>&1
		rc=$?
		IFS=$old_ifs
		set +f
		[ $rc = 0 ] || e2e_fail "postconf -e: $(cat "$T/postfix.out")"
	fi
	cat > "$E2E_PF/master.cf" <<CF
127.0.0.1:$E2E_SMTP_PORT inet n - n - ${E2E_SMTPD_MAXPROC:--} smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n -  0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n -  - trivial-rewrite
bounce    unix  - - n -  0 bounce
defer     unix  - - n -  0 bounce
trace     unix  - - n -  0 bounce
verify    unix  - - n -  1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -  - proxymap
smtp      unix  - - n -  - smtp
relay     unix  - - n -  - smtp
showq     unix  n - n -  - showq
error     unix  - - n -  - error
retry     unix  - - n -  - error
discard   unix  - - n -  - discard
anvil     unix  - - n -  1 anvil
scache    unix  - - n -  1 scache
postlog   unix-dgram n - n - 1 postlogd
CF
	# start runs "postfix check" itself (and creates the queue directories).
	timeout 60 postfix -c "$E2E_PF" start >>"$T/postfix.out" 2>&1 ||
		e2e_fail "postfix start: $(cat "$T/postfix.out")"
	$E2E_PY waitport "$E2E_SMTP_PORT" 10 || e2e_fail "Postfix smtpd does not listen"
}

e2e_up() {
	e2e_dns
	e2e_sink
	e2e_milter_conf "$1"
	e2e_milter
	e2e_postfix
}

# e2e_msg FILE FROM-ADDRESS ID [EXTRA-HEADER-LINES (each ending in \n)]
e2e_msg() {
	{
		printf 'From: Sender <%s>\nTo: user@example.org\nSubject: e2e %s\n' "$2" "$3"
		printf 'Date: Wed, 25 Nov 2026 12:00:00 +0000\nMessage-ID: <%s>\n' "$3"
		printf '%b\nHello from the e2e test.\n' "${4:-}"
	} | sed 's/$/\r/' > "$1"
}

e2e_sign() {
	timeout 30 $E2E_KEYS sign "$T/e2e.key" "$2" e2e rsa-sha256 < "$1" > "$1.signed" &&
		mv "$1.signed" "$1"
}

# e2e_swaks OUT IP MAILFROM FILE
e2e_swaks() {
	timeout 60 swaks --server 127.0.0.1:"$E2E_SMTP_PORT" --local-interface "$2" \
		--ehlo mail.sender.example --from "$3" --to user@example.org \
		--timeout 30 --data @"$4" > "$1" 2>&1
}

# The last server reply before QUIT in swaks output, e.g. "250 2.0.0 Ok: ..."
e2e_reply() {
	grep -E '^<(-|\*\*) +[0-9]{3}[ -]' "$1" | grep -Ev '^<(-|\*\*) +221 ' | tail -1 |
		sed -E 's/^<(-|\*\*) +//'
}

# Waits (30 s at most) until no message is in Postfix's incoming, active or
# maildrop queue: everything is then delivered, held, deferred or gone.
e2e_settle() {
	i=0
	while timeout 10 postqueue -c "$E2E_PF" -j 2>/dev/null |
		grep -Eq '"queue_name": *"(incoming|active|maildrop)"'; do
		i=$((i + 1))
		[ $i -gt 300 ] && return 1
		sleep 0.1
	done
	return 0
}

e2e_queue() {
	timeout 120 $E2E_PY queue "$E2E_PF"
}

e2e_headers() {
	$E2E_PY headers "$E2E_SINK" "$1" "$2"
}

e2e_verdicts() {
	grep ' action=' "$T/milter.log"
}

e2e_forget() {
	AM_PIDS=$(echo " $AM_PIDS " | sed "s/ $1 / /g")
}

e2e_milter_restart() {
	starts=$(grep -c ' start version=' "$T/milter.log")
	"$top_builddir/src/authmilter" -f -c "$T/milter.conf" 2>>"$T/milter.log" &
	E2E_MILTER_PID=$!
	AM_PIDS="$AM_PIDS $E2E_MILTER_PID"
	i=0
	until [ "$(grep -c ' start version=' "$T/milter.log")" -gt "$starts" ]; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$E2E_MILTER_PID" 2>/dev/null; then
			e2e_fail "authmilter did not start again"
		fi
		sleep 0.1
	done
	$E2E_PY waitport "$E2E_MILTER_PORT" 10 || e2e_fail "authmilter does not listen again"
}

# e2e_mixed_kinds: writes three kinds of message to $T and sets KINDS for
# e2e.py mixsend: "good" (SPF pass), "bad" (DMARC p=reject failure) and
# "dkim" (DKIM pass from a client that fails SPF). Message-ID and Subject
# are not signed, so they can differ per copy.
e2e_mixed_kinds() {
	e2e_msg "$T/good.eml" bob@reject.example '%N%@good.e2e.test'
	e2e_msg "$T/bad.eml" bob@reject.example '%N%@bad.e2e.test'
	e2e_msg "$T/dkim.eml" bob@pass.example '%N%@dkim.e2e.test'
	timeout 30 $E2E_KEYS sign "$T/e2e.key" pass.example e2e rsa-sha256 from,to,date \
		< "$T/dkim.eml" > "$T/dkim.signed" || e2e_fail "cannot sign"
	KINDS="$E2E_GOOD,bob@reject.example,$T/good.eml $E2E_BAD,bob@reject.example,$T/bad.eml
$E2E_BAD,bob@pass.example,$T/dkim.signed"
}

# e2e_watch_start / e2e_watch_stop: sample the milter's memory while a
# test runs (e2e.py procwatch into $T/watch). Stop sets HWM to its VmHWM
# in kB; $T/watch then holds the samples.
e2e_watch_start() {
	rm -f "$T/watch.stop"
	$E2E_PY procwatch "$E2E_MILTER_PID" "$T/watch" "$T/watch.stop" &
	WATCH=$!
	AM_PIDS="$AM_PIDS $WATCH"
}

e2e_watch_stop() {
	touch "$T/watch.stop"
	wait $WATCH
	e2e_forget $WATCH
	# shellcheck disable=SC2046
	set -- $($E2E_PY procinfo "$E2E_MILTER_PID")
	HWM=$2
}
