#!/bin/sh
# resolver.sh - the shared resolver against a real DNS server on loopback:
# answers, NODATA vs NXDOMAIN, CNAME chains, TCP fallback, temporary
# failures, the timeout bound, and concurrent use from many threads.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
RESOLVE="$top_builddir/tests/integration/resolve"

am_tmp
big=$(printf 'x%.0s' $(seq 1 700))
cat > "$AM_TMP/zone" <<ZONE
example.com	A	192.0.2.1
example.com	AAAA	2001:db8::1
example.com	MX	20 MX2.example.com
example.com	MX	10 mx1.example.com
example.com	TXT	"v=spf1 " "-all"
big.example.com	TXT	"$big"
alias.example.com	CNAME	alias2.example.com
alias2.example.com	CNAME	target.example.com
target.example.com	TXT	"target text"
a.b.ent.example.com	A	192.0.2.9
slow.example.com	TIMEOUT	-
broken.example.com	SERVFAIL	-
ZONE
am_start_dns "$AM_TMP/zone" --ttl 2
NS="127.0.0.1@$AM_DNS_PORT"

q() { "$RESOLVE" -T "${T:-2}" "$NS" "$@" | sed '/^sent /d; /^elapsed /d'; }

am_plan 21
am_is "A record" "$(q A example.com)" "example.com ok 192.0.2.1"
am_is "AAAA record" "$(q AAAA example.com)" "example.com ok 2001:db8::1"
am_is "MX records, names lower-cased" "$(q MX example.com)" \
	"example.com ok 10 mx1.example.com|20 mx2.example.com"
am_is "TXT strings joined without spaces" "$(q TXT example.com)" "example.com ok v=spf1 -all"
am_is "TXT larger than a UDP answer (TCP fallback)" "$(q TXT big.example.com)" "big.example.com ok $big"
am_is "CNAME chain followed" "$(q TXT alias.example.com)" "alias.example.com ok target text"
am_is "CNAME chain to a name without the type: nodata" "$(q A alias.example.com)" \
	"alias.example.com nodata"
am_is "existing name without the type: nodata" "$(q MX target.example.com)" "target.example.com nodata"
am_is "empty non-terminal: nodata" "$(q A ent.example.com)" "ent.example.com nodata"
am_is "missing name: nxdomain" "$(q A nosuch.example.com)" "nosuch.example.com nxdomain"
am_is "SERVFAIL: tempfail" "$(q TXT broken.example.com)" "broken.example.com tempfail"
am_is "invalid name: badname, nothing sent" "$(q A 'a..example.com')" "a..example.com badname"
out=$("$RESOLVE" -T 0.5 "$NS" TXT slow.example.com)
am_is "no answer: tempfail" "$(echo "$out" | head -1)" "slow.example.com tempfail"
ms=$(echo "$out" | awk '/^elapsed/ { print $2 }')
am_ok "timeout 0.5 s is kept (took ${ms} ms)" test "$ms" -ge 450 -a "$ms" -le 1500
am_ok "16 threads x 20 rounds agree with a single thread" \
	"$RESOLVE" -t 16 -n 20 "$NS" TXT example.com alias.example.com nosuch.example.com
am_ok "a timing-out lookup does not block other threads" \
	"$RESOLVE" -T 0.3 -t 8 -n 3 "$NS" TXT slow.example.com example.com

# The resolver's own cache (dns.cache_size): repeats are answered in the
# calling thread, without going to libunbound; answers leave with their
# TTL (the server gives 2 s).
am_is "cache: 5 rounds of 2 names (one NXDOMAIN) go to libunbound twice" \
	"$("$RESOLVE" -C 100 -n 5 "$NS" TXT cached.example.com target.example.com | sed -n 's/^sent //p')" 2
am_is "without the cache all 10 lookups go to libunbound" \
	"$("$RESOLVE" -n 5 "$NS" TXT cached.example.com target.example.com | sed -n 's/^sent //p')" 10
am_is "TTL: after 2.5 s the 2 s answer is asked again" \
	"$("$RESOLVE" -C 100 -n 2 -S 2.5 "$NS" TXT ttl.example.com | sed -n 's/^sent //p')" 2
# The per-message time budget: two lookups that would each time out after
# 1 s end together by the 0.6 s budget; the second is not even sent.
out=$("$RESOLVE" -T 1 -D 0.6 "$NS" TXT slow.example.com example.com)
ms=$(echo "$out" | awk '/^elapsed/ { print $2 }')
am_ok "budget 0.6 s bounds two 1 s lookups (took ${ms} ms)" test "$ms" -ge 550 -a "$ms" -le 900
am_is "a lookup after the budget is spent fails at once" "$(echo "$out" | sed -n 2p)" \
	"example.com tempfail"
