#!/bin/sh
# arc.sh - ARC (RFC 8617) through authmilter-check, the real resolver and
# the DNS server on loopback, with chains sealed at test time by
# python3-dkim (tests/integration/arcchain.py): a list breaks the author's
# DKIM signature and seals what it saw; trusted sealers may vouch for the
# author domain, untrusted or broken chains may not. Also ed25519, three
# hops, header.oldest-pass, 50 and 51 sets, arc.max_sets, a tampered hop
# and a seal key that times out.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
CHECK="$top_builddir/src/authmilter-check"
KEYS="$PYTHON3 $top_srcdir/tests/integration/dkimkeys.py"
CHAIN="$PYTHON3 $top_srcdir/tests/integration/arcchain.py"

am_tmp
T=$AM_TMP
dkimkey=$($KEYS genkey rsa 2048 "$T/author.key")
arckey=$($KEYS genkey rsa 1024 "$T/arc.key")
edkey=$($KEYS genkey ed25519 "$T/ed.key")
cat > "$T/zone" <<ZONE
example.com	TXT	"v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.example.com	TXT	"v=DMARC1; p=reject"
news._domainkey.example.com	TXT	"$dkimkey"
lists.example	TXT	"v=spf1 ip4:198.51.100.0/24 -all"
arc._domainkey.lists.example	TXT	"$arckey"
ed._domainkey.lists.example	TXT	"$edkey"
arc._domainkey.fwd2.example	TXT	"$arckey"
arc._domainkey.fwd3.example	TXT	"$arckey"
arc._domainkey.slow.example	TIMEOUT	-
ZONE
am_start_dns "$T/zone"
conf() { # conf NAME ARC-GROUP-BODY
	printf 'authserv_id = "mx.example.org";\ndns = { nameservers = ["127.0.0.1@%s"]; timeout = 0.5; };\narc = { %s };\n' \
		"$AM_DNS_PORT" "$2" > "$T/$1.conf"
}
conf trusted 'trusted_sealers = [ "lists.example" ];'
conf untrusted ''
conf all3 'trusted_sealers = [ "lists.example", "fwd2.example", "fwd3.example" ];'
conf max3 'max_sets = 3; trusted_sealers = [ "lists.example" ];'
conf slow 'trusted_sealers = [ "slow.example" ];'
json() { am_json "$@"; }
oneline() { tr '\n' ' '; }
run() { # run OUT CONF < message: from the list's host, bounce address at the list
	"$CHECK" -c "$T/$2.conf" --ip 198.51.100.25 --helo mail.lists.example \
		--mail-from bounce@lists.example --json > "$1"
}
SAW="spf=pass smtp.mailfrom=news@example.com; dkim=pass header.d=example.com; dmarc=pass header.from=example.com"
L1="seal:$T/arc.key:rsa-sha256:lists.example:arc:$SAW"
H2="seal:$T/arc.key:rsa-sha256:fwd2.example:arc"
H3="seal:$T/arc.key:rsa-sha256:fwd3.example:arc"

printf 'From: News <news@example.com>\r\nTo: list@lists.example\r\nSubject: news\r\nDate: Wed, 25 Nov 2026 12:00:00 +0000\r\nMessage-ID: <n1@example.com>\r\n\r\nHello.\r\n' |
	$KEYS sign "$T/author.key" example.com news rsa-sha256 > "$T/orig.eml"

am_plan 31

# The list: DKIM broken by the subject tag and footer, sealed by lists.example.
$CHAIN list "$L1" < "$T/orig.eml" > "$T/list.eml"
run "$T/1" trusted < "$T/list.eml"
am_is "listed message: the author's DKIM fails, DMARC fails" \
	"$(json "$T/1" 'j["dkim"][0]["result"]+" "+j["dmarc"]["result"]')" "fail fail"
am_is "the chain passes: 1 set, oldest-pass 0, the seal valid" \
	"$(json "$T/1" 'j["arc"]["result"]+" "+str(j["arc"]["sets"])+" "+str(j["arc"]["oldest_pass"])+" "+str(j["arc"]["seals"][0]["valid"])')" \
	"pass 1 0 True"
am_is "trusted sealer: accepted, override arc, enforcement would reject" \
	"$(json "$T/1" 'j["action"]+" "+j["reason"]+" "+str(j["override"])+" "+str(j["would"])')" \
	"accept dmarc_reject arc reject"
am_is "the override names the sealer, the set and the evidence" \
	"$(json "$T/1" 'j["arc"]["override"]["sealer"]+" "+str(j["arc"]["override"]["instance"])+" "+j["arc"]["override"]["evidence"]')" \
	"lists.example 1 dmarc=pass header.from=example.com"
am_like "the override carries the RFC 8617 7.2.2 comment" "$(json "$T/1" 'j["arc"]["override"]["comment"]')" \
	'^arc=pass as\[1\]\.d=lists\.example as\[1\]\.s=arc$'
ar=$(json "$T/1" 'j["authentication_results"]' | oneline)
am_like "our header: arc=pass with smtp.remote-ip and header.oldest-pass" "$ar" \
	'arc=pass[[:space:]]+smtp\.remote-ip=198\.51\.100\.25[[:space:]]+header\.oldest-pass=0;'
am_like "our header keeps dmarc=fail, disposition none, and names the override" "$ar" \
	'dmarc=fail[[:space:]]+\(p=reject pct=100 dis=none([[:space:]]+[a-z=]+)?; arc override: lists\.example i=1\)'
"$CHECK" -c "$T/trusted.conf" --ip 198.51.100.25 --helo mail.lists.example \
	--mail-from bounce@lists.example "$T/list.eml" > "$T/1.txt"
am_like "the explanation says which sealer vouched for what" "$(grep '^The trusted sealer' "$T/1.txt")" \
	'^The trusted sealer lists\.example \(set 1\) vouched for the author domain: it saw dmarc=pass header\.from=example\.com'

run "$T/2" untrusted < "$T/list.eml"
am_is "sealer not trusted: the chain passes, DMARC rejects" \
	"$(json "$T/2" 'j["arc"]["result"]+" "+j["action"]+" "+str(j["arc"]["override"])')" "pass reject None"

$CHAIN list "$L1" tamper-aar:1 < "$T/orig.eml" > "$T/tampered.eml"
run "$T/3" trusted < "$T/tampered.eml"
am_is "trusted sealer, its AAR tampered: the chain fails, DMARC rejects" \
	"$(json "$T/3" 'j["arc"]["result"]+" "+j["action"]')" "fail reject"
am_like "... and the reason names the seal" "$(json "$T/3" 'j["arc"]["reason"]')" '^ARC-Seal 1: '
am_like "... our header: arc=fail with its reason" "$(json "$T/3" 'j["authentication_results"]' | oneline)" \
	'arc=fail[[:space:]]+reason="ARC-Seal 1'

# Three hops: the list, then two forwarders (they only say arc=pass).
$CHAIN list "$L1" "$H2" "$H3" < "$T/orig.eml" > "$T/three.eml"
run "$T/4" all3 < "$T/three.eml"
am_is "three hops: pass, 3 sets, oldest-pass 0, cv none/pass/pass" \
	"$(json "$T/4" 'j["arc"]["result"]+" "+str(j["arc"]["sets"])+" "+str(j["arc"]["oldest_pass"])+" "+",".join(s["cv"] for s in j["arc"]["seals"])')" \
	"pass 3 0 none,pass,pass"
am_is "all three trusted: the oldest set vouches, accepted" \
	"$(json "$T/4" 'str(j["arc"]["override"]["instance"])+" "+j["action"]')" "1 accept"
am_like "the comment lists every seal, newest first" "$(json "$T/4" 'j["arc"]["override"]["comment"]')" \
	'^arc=pass as\[3\]\.d=fwd3\.example as\[3\]\.s=arc as\[2\]\.d=fwd2\.example as\[2\]\.s=arc as\[1\]\.d=lists\.example as\[1\]\.s=arc$'
run "$T/5" trusted < "$T/three.eml"
am_is "only the oldest sealer trusted: trust ends at the newest, no override" \
	"$(json "$T/5" 'j["arc"]["result"]+" "+j["action"]+" "+str(j["arc"]["override"])')" "pass reject None"
run "$T/6" max3 < "$T/three.eml"
am_is "3 sets under arc.max_sets = 3: pass" "$(json "$T/6" 'j["arc"]["result"]')" pass
$CHAIN list "$L1" "$H2" "$H3" "seal:$T/arc.key:rsa-sha256:fwd2.example:arc" < "$T/orig.eml" > "$T/four.eml"
run "$T/7" max3 < "$T/four.eml"
am_is "4 sets over arc.max_sets = 3: fail" \
	"$(json "$T/7" 'j["arc"]["result"]+" "+j["arc"]["reason"]')" "fail more than arc.max_sets (3) ARC sets"

$CHAIN list "$L1" "$H2" "$H3" tamper-aar:1 < "$T/orig.eml" > "$T/three-tampered.eml"
run "$T/7b" all3 < "$T/three-tampered.eml"
am_is "three hops, the oldest hop's AAR tampered: every seal over it fails, the chain fails" \
	"$(json "$T/7b" 'j["arc"]["result"]+" "+j["arc"]["reason"].split(":")[0]+" "+j["action"]')" \
	"fail ARC-Seal 3 reject"

# header.oldest-pass: the body changed after the first hop.
$CHAIN list "$L1" append:changed-after-hop-1 "$H2" < "$T/orig.eml" > "$T/oldest.eml"
run "$T/8" trusted < "$T/oldest.eml"
am_is "body changed between hops: the chain passes, oldest-pass 2" \
	"$(json "$T/8" 'j["arc"]["result"]+" "+str(j["arc"]["oldest_pass"])')" "pass 2"

# ed25519
$CHAIN list "seal:$T/ed.key:ed25519-sha256:lists.example:ed:$SAW" < "$T/orig.eml" > "$T/ed.eml"
am_like "the ed25519 chain is sealed with ed25519-sha256" "$(grep -c 'a=ed25519-sha256' "$T/ed.eml")" '^[2-9]'
run "$T/9" trusted < "$T/ed.eml"
am_is "ed25519 chain: pass, override" \
	"$(json "$T/9" 'j["arc"]["result"]+" "+j["action"]+" "+str(j["override"])')" "pass accept arc"

# 50 sets pass; a 51st (a copy of the 50th, renumbered) fails on the count.
steps="list seal:$T/arc.key:rsa-sha256:lists.example:arc"
i=2
while [ $i -le 50 ]; do
	steps="$steps $H2"
	i=$((i + 1))
done
# shellcheck disable=SC2086
$CHAIN $steps < "$T/orig.eml" > "$T/fifty.eml"
run "$T/10" untrusted < "$T/fifty.eml"
am_is "50 sets: pass" "$(json "$T/10" 'j["arc"]["result"]+" "+str(j["arc"]["sets"])')" "pass 50"
$CHAIN copy-set:50:51 < "$T/fifty.eml" > "$T/fiftyone.eml"
run "$T/11" untrusted < "$T/fiftyone.eml"
am_is "51 sets: fail, over the RFC 8617 limit" \
	"$(json "$T/11" 'j["arc"]["result"]+" "+j["arc"]["reason"]')" \
	"fail more than arc.max_sets (50) ARC sets"

# A seal whose key lookup times out: fail, said so, never an override.
$CHAIN list "seal:$T/arc.key:rsa-sha256:slow.example:arc:$SAW" < "$T/orig.eml" > "$T/slow.eml"
run "$T/12" slow < "$T/slow.eml"
am_is "seal key lookup times out: fail, no override, DMARC rejects" \
	"$(json "$T/12" 'j["arc"]["result"]+" "+str(j["arc"]["override"])+" "+j["action"]')" "fail None reject"
am_like "... the reason says it was DNS, so no ARC override" "$(json "$T/12" 'j["arc"]["reason"]')" \
	'DNS error: no ARC override'

# Without any ARC header: arc=none, and nothing else changes.
run "$T/13" trusted < "$T/orig.eml"
am_is "no chain: arc none, 0 sets, the author's DKIM passes" \
	"$(json "$T/13" 'j["arc"]["result"]+" "+str(j["arc"]["sets"])+" "+j["dkim"][0]["result"]+" "+j["action"]')" \
	"none 0 pass accept"
am_like "no chain: arc=none in our header" "$(json "$T/13" 'j["authentication_results"]' | oneline)" \
	'arc=none[[:space:]]+smtp\.remote-ip=198\.51\.100\.25;'

# What a trusted AAR may vouch with.
$CHAIN list "seal:$T/arc.key:rsa-sha256:lists.example:arc:dkim=pass header.d=example.com" < "$T/orig.eml" > "$T/dk.eml"
run "$T/14" trusted < "$T/dk.eml"
am_is "a trusted AAR with a DKIM pass of the author domain: override" \
	"$(json "$T/14" 'j["arc"]["override"]["evidence"]')" "dkim=pass header.d=example.com"
$CHAIN list "seal:$T/arc.key:rsa-sha256:lists.example:arc:spf=pass smtp.mailfrom=news@mail.example.com" \
	< "$T/orig.eml" > "$T/spf.eml"
run "$T/15" trusted < "$T/spf.eml"
am_is "a trusted AAR with an SPF pass of an aligned subdomain: override" \
	"$(json "$T/15" 'j["arc"]["override"]["evidence"]')" "spf=pass smtp.mailfrom=news@mail.example.com"
$CHAIN list "seal:$T/arc.key:rsa-sha256:lists.example:arc:dkim=pass header.d=other.example" \
	< "$T/orig.eml" > "$T/other.eml"
run "$T/16" trusted < "$T/other.eml"
am_is "a trusted AAR vouching only for another domain: no override" \
	"$(json "$T/16" 'str(j["arc"]["override"])+" "+j["action"]')" "None reject"
