#!/bin/sh
# dmarc_treewalk.sh - RFC 9989 DMARC policy discovery by DNS tree walk,
# through the real resolver and tests/dns/amdns.py on loopback. TAP.
#
# 1. The examples of RFC 9989 Appendix B.4 (B.4.1 simple, B.4.2 deep, B.4.3
#    with a PSD record): each identifier's own walk (organizational
#    domain, records met, lookups) and the whole evaluation (result,
#    policy domain, organizational domain, the record used, alignment,
#    lookups), the lookups counted twice: by the driver and in the DNS
#    server's query log (the driver's resolver keeps no answers). For the
#    deep example the names asked are checked one by one.
# 2. Where the two discovery methods differ (a PSD record with psd=y, a
#    private registry suffix, a name over 8 labels, psd=n in the middle of
#    a tree, several records at the From domain, and rows where they
#    agree), each row run with --discovery treewalk and with psl.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
: "${top_builddir:=$top_srcdir}"
DRIVER="$top_builddir/tests/conformance/dmarc_eval_driver"

am_tmp
zone="$AM_TMP/zone"
qlog="$AM_TMP/queries.log"
tab=$(printf '\t')
txt() { printf '%s\tTXT\t"%s"\n' "$1" "$2"; }
{
	# B.4.1 and B.4.2
	txt _dmarc.example.com "v=DMARC1; p=reject"
	txt _dmarc.signing.example.com "v=DMARC1; p=quarantine"
	# B.4.3
	txt _dmarc.bank.example "v=DMARC1; p=reject; psd=y"
	txt _dmarc.giant.bank.example "v=DMARC1; p=quarantine"
	# where the methods differ
	txt _dmarc.co.uk "v=DMARC1; p=reject; psd=y"
	txt _dmarc.blogspot.com "v=DMARC1; p=reject"
	txt _dmarc.alice.blogspot.com "v=DMARC1; p=reject"
	txt _dmarc.github.io "v=DMARC1; p=none; psd=y"
	txt _dmarc.alice.github.io "v=DMARC1; p=reject"
	txt _dmarc.corp.example "v=DMARC1; p=reject"
	txt _dmarc.d.e.f.g.corp.example "v=DMARC1; p=none; psd=n"
	txt _dmarc.b.c.d.e.f.g.deep.example "v=DMARC1; p=none; psd=n"
	txt _dmarc.deep.example "v=DMARC1; p=reject"
	txt _dmarc.b.corp2.example "v=DMARC1; p=none; psd=n"
	txt _dmarc.corp2.example "v=DMARC1; p=reject"
	txt _dmarc.multi.corp3.example "v=DMARC1; p=none"
	txt _dmarc.multi.corp3.example "v=DMARC1; p=quarantine"
	txt _dmarc.corp3.example "v=DMARC1; p=reject"
	txt _dmarc.brand.co.uk "v=DMARC1; p=quarantine"
} >"$zone"
am_start_dns "$zone" --log "$qlog"

logged() { wc -l <"$qlog" | tr -d ' '; }
# drive ARGS...: runs the driver; sets $out, $line (its first line) and
# $sent (queries the DNS server saw meanwhile); $names: the names asked
drive() {
	before=$(logged)
	out=$("$DRIVER" --ns "127.0.0.1@$AM_DNS_PORT" --timeout 2 "$@" 2>&1)
	line=$(printf '%s\n' "$out" | sed -n 1p)
	sent=$(($(logged) - before))
	names=$(tail -n "$sent" "$qlog" | awk '{ sub(/\.$/, "", $1); printf "%s%s", sep, $1; sep = " " }')
}
# kv KEYS...: the values of those keys of $line, space-separated
kv() {
	for k in "$@"; do
		printf '%s\n' "$line" | tr ' ' '\n' | sed -n "s/^$k=//p"
	done | paste -sd' ' -
}
record() { printf '%s\n' "$out" | sed -n 's/^record=//p'; }

am_plan 41

# ---- 1. RFC 9989 B.4: each identifier's walk ----
# identifier | organizational domain | lookups | records met
while IFS='|' read -r id org n recs; do
	drive --walk "$id"
	am_is "B.4 walk from $id: org domain, lookups, records" \
		"$(kv org_domain queries tempfail records) sent=$sent" "$org $n 0 $recs sent=$n"
done <<'EOF'
example.com|example.com|2|example.com
signing.example.com|example.com|3|signing.example.com,example.com
a.b.c.d.e.f.g.h.i.j.k.example.com|example.com|8|example.com
giant.bank.example|giant.bank.example|2|giant.bank.example,bank.example
mail.giant.bank.example|giant.bank.example|3|giant.bank.example,bank.example
mail.mega.bank.example|mega.bank.example|3|bank.example
EOF

drive --walk a.b.c.d.e.f.g.h.i.j.k.example.com
am_is "B.4.2: the names asked (the 8-query rule: the jump to 7 labels)" "$names" \
	"_dmarc.a.b.c.d.e.f.g.h.i.j.k.example.com _dmarc.g.h.i.j.k.example.com \
_dmarc.h.i.j.k.example.com _dmarc.i.j.k.example.com _dmarc.j.k.example.com \
_dmarc.k.example.com _dmarc.example.com _dmarc.com"

# ---- 1. RFC 9989 B.4: the evaluations ----
# Lookups: the From domain's walk, plus a walk for each identifier that
# needs one (not the From domain, not its organizational domain, and only
# inside that organizational domain).
b41="--from example.com --spf example.com:pass --dkim signing.example.com"
b42="--from a.b.c.d.e.f.g.h.i.j.k.example.com --spf example.com:pass --dkim signing.example.com"
b43="--from giant.bank.example --spf mail.giant.bank.example:pass --dkim mail.mega.bank.example"
b43f="--from giant.bank.example --spf mail.mega.bank.example:pass --dkim mail.mega.bank.example"
# name | driver arguments | result policy_domain org_domain spf dkim lookups | record
while IFS='|' read -r name args want rec; do
	# shellcheck disable=SC2086
	drive $args
	am_is "$name: result, policy and org domains, alignment, lookups" \
		"$(kv result policy_domain org_domain spf_aligned dkim_aligned queries) sent=$sent" \
		"$want sent=${want##* }"
	am_is "$name: the record used" "$(record)" "$rec"
done <<EOF
B.4.1|$b41|pass example.com example.com 1 1 5|v=DMARC1; p=reject
B.4.2|$b42|pass example.com example.com 1 1 11|v=DMARC1; p=reject
B.4.3|$b43|pass giant.bank.example giant.bank.example 1 0 5|v=DMARC1; p=quarantine
B.4.3, SPF from mega.bank.example|$b43f|fail giant.bank.example giant.bank.example 0 0 2|v=DMARC1; p=quarantine
EOF
drive $b42
am_like "B.4.2: sp/p of example.com applies to the deep subdomain" "$line" \
	"result=pass .*policy=reject"
drive $b43f
am_is "B.4.3: the From domain's own record decides a failure" "$(kv disposition)" quarantine

# ---- 2. where tree walk and public suffix list differ ----
# name | driver arguments | treewalk: result/disposition policy org | psl: the same
while IFS='|' read -r name args tw psl; do
	# shellcheck disable=SC2086
	drive --discovery treewalk $args
	am_is "$name [treewalk]" "$(kv result disposition policy_domain org_domain)" "$tw"
	# shellcheck disable=SC2086
	drive --discovery psl $args
	am_is "$name [psl]" "$(kv result disposition policy_domain org_domain)" "$psl"
done <<'EOF'
PSD record (psd=y) at co.uk, no record of the registrant|--from brand2.co.uk|fail reject co.uk brand2.co.uk|none none - brand2.co.uk
the registrant's own record under that PSD|--from shop.brand.co.uk|fail quarantine brand.co.uk brand.co.uk|fail quarantine brand.co.uk brand.co.uk
private registry suffix blogspot.com publishing without psd=y|--from bob.blogspot.com|fail reject blogspot.com blogspot.com|none none - bob.blogspot.com
across that private suffix: one organization by tree walk|--from alice.blogspot.com --dkim bob.blogspot.com|pass none alice.blogspot.com blogspot.com|fail reject alice.blogspot.com alice.blogspot.com
private suffix github.io publishing psd=y: both keep users apart|--from alice.github.io --dkim bob.github.io|fail reject alice.github.io alice.github.io|fail reject alice.github.io alice.github.io
over 8 labels, psd=n at a 6-label name that is asked|--from x.a.b.c.d.e.f.g.corp.example|fail none d.e.f.g.corp.example d.e.f.g.corp.example|fail reject corp.example corp.example
over 8 labels, psd=n at an 8-label name that is skipped|--from x.a.b.c.d.e.f.g.deep.example|fail reject deep.example deep.example|fail reject deep.example deep.example
psd=n in the middle of a tree|--from a.b.corp2.example --dkim corp2.example|fail none b.corp2.example b.corp2.example|pass none corp2.example corp2.example
several records at the From domain|--from multi.corp3.example|fail reject corp3.example corp3.example|none none - corp3.example
plain subdomain, organizational record: both agree|--from a.b.example.com --spf bounce.example.com:pass|pass none example.com example.com|pass none example.com example.com
EOF

drive --discovery treewalk --from x.a.b.c.d.e.f.g.deep.example
am_is "over 8 labels: 8 lookups, the zone cut's record never asked" "$(kv queries) sent=$sent" \
	"8 sent=8"
am_like "... b.c.d.e.f.g.deep.example is not among the names" "$names" \
	"^_dmarc.x.a.b.c.d.e.f.g.deep.example _dmarc.c.d.e.f.g.deep.example "
drive --discovery psl --from alice.blogspot.com --dkim bob.blogspot.com
am_is "psl: alignment needs no lookups past discovery" "$(kv queries) sent=$sent" "1 sent=1"
drive --discovery treewalk --from alice.github.io --spf evil.example:pass --dkim bob.github.io
am_is "treewalk: identifiers outside the org domain are not walked" "$(kv queries) sent=$sent" \
	"2 sent=2"
