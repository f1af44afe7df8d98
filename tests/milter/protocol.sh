#!/bin/sh
# protocol.sh - the daemon over its milter socket when the MTA leaves
# things out (macros, HELO, client address), authenticated submissions,
# aborted messages and connections dropped mid-message.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/milter/lib.sh"
ml_require
am_plan 30
ml_start

ml_lua "no {i}, empty HELO, IPv6, unknown family, {auth_authen}" macros.lua
ml_log "log: no {i} macro gives qid=-" "@mailfrom=noqid@example.com" qid=- action=accept
ml_log "log: empty HELO" MAC-EMPTYHELO helo=- spf_helo=none action=accept
ml_log "log: IPv6 client" MAC-V6 ip=2001:db8::25 spf=pass action=accept
ml_log "log: {auth_authen} skipped, no verdict" MAC-AUTH action=skip reason=authenticated \
	ip=192.0.2.10 mailfrom=alice@example.com '!spf' '!dkim' '!dmarc'
ml_log "log: next message after the authenticated one" MAC-AFTERAUTH action=accept \
	helo=client.example.net
ml_py "no HELO command at all; UNIX-socket client accepted at connect" nohelo.py
ml_log "log: no HELO" MAC-NOHELO helo=- spf_helo=none spf=pass action=accept
am_is "clients without an address skipped at connect (unknown family, UNIX socket)" \
	"$(grep -c 'skip=connection reason=no_client_address' "$ML_LOG")" 2

ml_lua "aborted at MAIL, RCPT, headers, EOH, body: next message correct" abort.lua
for s in mail rcpt headers eoh body; do
	ml_nolog "log: no verdict for the message aborted at $s" ABT-$s
	ml_log "log: message after the abort at $s" ABT-$s-next action=accept '!author' \
		from=example.com
done

ml_lua "connections dropped mid-message; a new connection works" disconnect.lua
sleep 0.2
for q in DIS-mail DIS-headers DIS-headers-quit DIS-eoh DIS-body DIS-body-quit; do
	ml_nolog "log: no verdict for dropped $q" $q
done
ml_log "log: message on a new connection after the drops" DIS-OK action=accept

# Each option negotiation is logged at debug level with the steps the MTA
# offered and the ones the daemon took (which ones is not pinned down here);
# the daemon takes no step that was not offered.
negotiated() {
	n=0 x='0x[0-9a-f]*'
	for s in $(sed -n "s/.*: negotiate offered_actions=$x offered_steps=\\($x\\) steps=\\($x\\)\$/\\1:\\2/p" \
		"$ML_LOG"); do
		[ $((${s#*:} & ~${s%:*})) = 0 ] || return 1
		n=$((n + 1))
	done
	[ $n -gt 0 ]
}
am_ok "log (debug): negotiated steps, a subset of those offered" negotiated
am_ok "daemon still running" kill -0 "$ML_PID"
