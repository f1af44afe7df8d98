#!/bin/sh
# dmarc_temperror.sh - DMARC through a real DNS server (tests/dns/amdns.py):
# temporary failures (SERVFAIL, TIMEOUT) at every lookup that can change the
# outcome give temperror, never "no policy"; plus CNAME-followed records,
# several records, np= for a missing subdomain. Each case runs with both
# discovery methods (RFC 9989 tree walk, RFC 7489 public suffix list). TAP.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
: "${top_builddir:=$top_srcdir}"
DRIVER="$top_builddir/tests/conformance/dmarc_eval_driver"

am_tmp
zone="$AM_TMP/zone"
tab=$(printf '\t')
cat >"$zone" <<EOZ
_dmarc.sf.example${tab}SERVFAIL${tab}-
_dmarc.to.example${tab}TIMEOUT${tab}-
_dmarc.sub.to2.example${tab}TIMEOUT${tab}-
_dmarc.to2.example${tab}TXT${tab}"v=DMARC1; p=none"
_dmarc.orgfail.example${tab}SERVFAIL${tab}-
_dmarc.npco.example${tab}TXT${tab}"v=DMARC1; p=none; sp=none; np=reject"
flaky.npco.example${tab}SERVFAIL${tab}-
live.npco.example${tab}MX${tab}10 mx.npco.example
_dmarc.cn.example${tab}CNAME${tab}_dmarc.target.example
_dmarc.target.example${tab}TXT${tab}"v=DMARC1; p=quarantine"
_dmarc.multi.example${tab}TXT${tab}"v=DMARC1; p=reject"
_dmarc.multi.example${tab}TXT${tab}"v=DMARC1; p=none"
_dmarc.mixed.example${tab}TXT${tab}"v=spf1 -all"
_dmarc.mixed.example${tab}TXT${tab}"v=DMARC1; p=reject; t=y"
EOZ
am_start_dns "$zone"

run() {
	"$DRIVER" --ns "127.0.0.1@$AM_DNS_PORT" --timeout 1.5 --discovery "$how" "$@" 2>&1
}
first() { printf '%s\n' "$1" | sed -n 1p | cut -d' ' -f1-2; }

am_plan 24
for how in treewalk psl; do
out=$(run --from sf.example --spf sf.example:pass)
am_is "[$how] SERVFAIL for _dmarc.<from> -> temperror" "$(first "$out")" "result=temperror disposition=none"
am_like "[$how] reason names the lookup" "$out" "_dmarc.sf.example"
out=$(run --from to.example --dkim to.example)
am_is "[$how] TIMEOUT for _dmarc.<from> -> temperror" "$(first "$out")" "result=temperror disposition=none"
out=$(run --from sub.to2.example)
am_is "[$how] TIMEOUT at the From domain is not skipped for the org record" "$(first "$out")" \
	"result=temperror disposition=none"
out=$(run --from sub.orgfail.example)
am_is "[$how] SERVFAIL for _dmarc.<org domain> -> temperror" "$(first "$out")" \
	"result=temperror disposition=none"
out=$(run --from flaky.npco.example)
am_is "[$how] SERVFAIL in the np= existence check -> temperror" "$(first "$out")" \
	"result=temperror disposition=none"
out=$(run --from gone.npco.example)
am_is "[$how] np=reject for a missing subdomain (A, AAAA, MX NXDOMAIN)" "$(first "$out")" \
	"result=fail disposition=reject"
out=$(run --from live.npco.example)
am_is "[$how] sp=none for an existing subdomain" "$(first "$out")" "result=fail disposition=none"
out=$(run --from cn.example --spf other.example:pass)
am_is "[$how] record behind a CNAME is used" "$(first "$out")" "result=fail disposition=quarantine"
out=$(run --from multi.example)
am_is "[$how] two DMARC records -> no policy" "$(first "$out")" "result=none disposition=none"
am_like "[$how] reason says there were several records" "$out" "2 DMARC records"
out=$(run --from mixed.example)
am_is "[$how] non-DMARC TXT ignored; t=y steps reject down to quarantine" "$(first "$out")" \
	"result=fail disposition=quarantine"
done
