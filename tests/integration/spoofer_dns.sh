#!/bin/sh
# spoofer_dns.sh - the spoofer's own DNS must not soften the victim's
# policy. A message From: ceo@victim.example (p=reject, no DKIM) with a
# MAIL FROM at a domain the spoofer controls: a SERVFAIL or a slow zone
# there must not turn the 550 into a tempfail (or, under on_error =
# "accept", into an accept). A temporary error counts only for an
# identity that could have aligned with the author domain; the DMARC
# policy is fetched first, and a share of limits.message_time is kept
# for it. Through authmilter-check and the DNS server on loopback.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
CHECK="$top_builddir/src/authmilter-check"
KEYS="$PYTHON3 $top_srcdir/tests/integration/dkimkeys.py"

am_tmp
T=$AM_TMP
rsa=$($KEYS genkey rsa 1024 "$T/rsa.key")
{
	cat <<'ZONE'
victim.example	TXT	"v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.victim.example	TXT	"v=DMARC1; p=reject; sp=none; np=reject"
mail.victim.example	SERVFAIL	-
strict.example	TXT	"v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.strict.example	TXT	"v=DMARC1; p=reject; aspf=s; adkim=s"
mail.strict.example	SERVFAIL	-
sel._domainkey.sub.strict.example	TIMEOUT	-
sel._domainkey.sub.victim.example	TIMEOUT	-
spoof.example	SERVFAIL	-
sel._domainkey.spoof.example	TIMEOUT	-
ZONE
	# slow.example: lookups that depend on each other, every answer 0.04 s
	# away: valid, each far under dns.timeout, and one after another
	# (about 40) longer than the whole 1 s budget. Lookups started ahead
	# (the engine starts a record's lookups at once) cannot shorten it:
	# every mx: target names %{p}, which needs the client's PTR names and
	# then their addresses one by one (none maps back: %{p} is
	# "unknown"), and then each MX answer's hosts; iprev is off, as its
	# lookahead would fetch the PTR names' addresses. (Longer delays
	# would outlast libunbound's retransmission timeout, learnt from the
	# fast answers, and look like timeouts instead.)
	printf 'slow.example\tTXT\t"v=spf1'
	for i in 1 2 3 4 5 6 7 8 9 10; do printf ' mx:%%{p}.e%s.slow.example' $i; done
	printf ' -all"\n'
	printf '7.100.51.198.in-addr.arpa\tDELAY\t0.04\n'
	for i in 1 2 3 4 5 6 7 8 9 10; do
		printf '7.100.51.198.in-addr.arpa\tPTR\tn%s.slow.example\n' $i
		printf 'n%s.slow.example\tA\t203.0.113.%s\n' $i $i
		printf 'n%s.slow.example\tDELAY\t0.04\n' $i
		printf 'unknown.e%s.slow.example\tMX\t10 h%s.slow.example\n' $i $i
		printf 'unknown.e%s.slow.example\tMX\t20 g%s.slow.example\n' $i $i
		printf 'unknown.e%s.slow.example\tDELAY\t0.04\n' $i
		for h in h g; do
			printf '%s%s.slow.example\tA\t203.0.113.%s\n' $h $i $i
			printf '%s%s.slow.example\tDELAY\t0.04\n' $h $i
		done
	done
	printf 'mail.slow.example\tTXT\t"v=spf1 include:slow.example -all"\n'
} > "$T/zone"
am_start_dns "$T/zone"
cat > "$T/conf" <<CONF
authserv_id = "mx.example.org";
dns = { nameservers = ["127.0.0.1@$AM_DNS_PORT"]; timeout = 1.0; cache_size = 0; };
limits = { message_time = 1; };
iprev = { enabled = false; };
CONF
cp "$T/conf" "$T/conf-accept"
printf 'policy = { on_error = "accept"; };\n' >> "$T/conf-accept"

msg() { # msg FROM-ADDRESS
	printf 'From: CEO <%s>\r\nTo: b@example.org\r\nSubject: urgent\r\nDate: Wed, 25 Nov 2026 12:00:00 +0000\r\nMessage-ID: <s@example.org>\r\n\r\nPay now.\r\n' "$1"
}
json() { am_json "$@"; }
run() { # run OUT CONF MAILFROM HELO < message, from an address no SPF record allows
	"$CHECK" -c "$2" --ip 198.51.100.7 --mail-from "$3" --helo "$4" --json > "$1"
}
verdict() { json "$1" 'j["spf"]["result"]+" "+j["dmarc"]["result"]+" "+j["action"]+" "+j["reason"]'; }

am_plan 13

msg ceo@victim.example > "$T/ceo.eml"
msg ceo@nothere.victim.example > "$T/np.eml"
for c in conf conf-accept; do
	run "$T/$c.1" "$T/$c" x@spoof.example mail.victim.example < "$T/ceo.eml"
	am_is "$c: the spoofer's SPF answers SERVFAIL: 550 all the same" \
		"$(verdict "$T/$c.1")" "temperror fail reject dmarc_reject"
	run "$T/$c.2" "$T/$c" x@slow.example mail.slow.example < "$T/ceo.eml"
	am_is "$c: the spoofer's SPF is slow, the budget runs out in it: 550 all the same" \
		"$(verdict "$T/$c.2")" "temperror fail reject dmarc_reject"
	run "$T/$c.3" "$T/$c" x@slow.example mail.slow.example < "$T/np.eml"
	am_is "$c: ... and the np= existence check, after SPF, still has its share: 550" \
		"$(json "$T/$c.3" 'j["spf"]["result"]+" "+j["dmarc"]["policy"]+" "+j["action"]')" \
		"temperror reject reject"
done
am_like "the slow SPF check was cut by the budget, not by its own limits" \
	"$(json "$T/conf.2" 'j["spf"]["reason"]')" 'budget'

# The aligned counterparts: the temporary error could have made DMARC pass.
run "$T/5" "$T/conf" bounce@mail.victim.example mail.victim.example < "$T/ceo.eml"
am_is "MAIL FROM in the author's organizational domain, SERVFAIL: tempfail" \
	"$(verdict "$T/5")" "temperror fail tempfail auth_temperror"
run "$T/6" "$T/conf-accept" bounce@mail.victim.example mail.victim.example < "$T/ceo.eml"
am_is "... and accepted under on_error = accept" "$(verdict "$T/6")" "temperror fail accept auth_temperror"
msg ceo@strict.example > "$T/strict.eml"
run "$T/7" "$T/conf" bounce@mail.strict.example mail.strict.example < "$T/strict.eml"
am_is "aspf=s: a subdomain MAIL FROM cannot align, its SERVFAIL changes nothing: 550" \
	"$(verdict "$T/7")" "temperror fail reject dmarc_reject"

msg ceo@victim.example | $KEYS sign "$T/rsa.key" spoof.example sel rsa-sha256 > "$T/dk1.eml"
run "$T/8" "$T/conf" x@spoof.example mail.victim.example < "$T/dk1.eml"
am_is "a signature by the spoofer's domain whose key times out: not counted, 550" \
	"$(json "$T/8" 'j["dkim"][0]["result"]+" "+j["action"]+" "+j["reason"]')" \
	"temperror reject dmarc_reject"
msg ceo@strict.example | $KEYS sign "$T/rsa.key" sub.strict.example sel rsa-sha256 > "$T/dk2.eml"
run "$T/9" "$T/conf" x@spoof.example mail.victim.example < "$T/dk2.eml"
am_is "adkim=s: a subdomain d= cannot align, its key timeout changes nothing: 550" \
	"$(json "$T/9" 'j["dkim"][0]["result"]+" "+j["action"]+" "+j["reason"]')" \
	"temperror reject dmarc_reject"
msg ceo@victim.example | $KEYS sign "$T/rsa.key" sub.victim.example sel rsa-sha256 > "$T/dk3.eml"
run "$T/10" "$T/conf" x@spoof.example mail.victim.example < "$T/dk3.eml"
am_is "relaxed: a d= in the author's organizational domain whose key times out: tempfail" \
	"$(json "$T/10" 'j["dkim"][0]["result"]+" "+j["action"]+" "+j["reason"]')" \
	"temperror tempfail auth_temperror"
