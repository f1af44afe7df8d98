#!/bin/sh
# limits.sh - input-driven limits are configuration keys, tested at the
# limit: spf.lookup_limit, spf.void_lookup_limit, dkim.max_signatures.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
CHECK="$top_builddir/src/authmilter-check"
KEYS="$PYTHON3 $top_srcdir/tests/integration/dkimkeys.py"

am_tmp
T=$AM_TMP
key=$($KEYS genkey rsa 1024 "$T/k.key")
cat > "$T/zone" <<ZONE
three.example	TXT	"v=spf1 include:a.three.example include:b.three.example include:c.three.example -all"
a.three.example	TXT	"v=spf1 -all"
b.three.example	TXT	"v=spf1 -all"
c.three.example	TXT	"v=spf1 ip4:192.0.2.0/24 -all"
void.example	TXT	"v=spf1 a:n1.void.example a:n2.void.example a:n3.void.example ip4:192.0.2.0/24 -all"
s1._domainkey.example.com	TXT	"$key"
s2._domainkey.example.com	TXT	"$key"
s3._domainkey.example.com	TXT	"$key"
ZONE
am_start_dns "$T/zone"
conf() { # conf FILE EXTRA: a config with the test DNS server and EXTRA
	printf 'dns = { nameservers = ["127.0.0.1@%s"]; timeout = 0.5; };\n%s\n' "$AM_DNS_PORT" "$2" > "$1"
}
spf() { # spf CONF MAILFROM: the MAIL FROM result
	printf 'From: a@example.com\r\n\r\nx\r\n' |
		"$CHECK" -c "$1" --ip 192.0.2.1 --helo h.example --mail-from "$2" --json |
		"$PYTHON3" -c 'import json,sys; print(json.load(sys.stdin)["spf"]["result"])'
}

am_plan 7
conf "$T/l3" 'spf = { lookup_limit = 3; };'
conf "$T/l2" 'spf = { lookup_limit = 2; };'
am_is "spf.lookup_limit = 3: three includes are within the limit" "$(spf "$T/l3" x@three.example)" pass
am_is "spf.lookup_limit = 2: the third include is permerror" "$(spf "$T/l2" x@three.example)" permerror
conf "$T/v3" 'spf = { void_lookup_limit = 3; };'
conf "$T/v2" 'spf = { void_lookup_limit = 2; };'
am_is "spf.void_lookup_limit = 3: three void lookups are allowed" "$(spf "$T/v3" x@void.example)" pass
am_is "spf.void_lookup_limit = 2: the third void lookup is permerror" "$(spf "$T/v2" x@void.example)" permerror

printf 'From: a@example.com\r\nTo: b@example.org\r\nSubject: limits\r\nDate: Wed, 25 Nov 2026 12:00:00 +0000\r\nMessage-ID: <l@example.com>\r\n\r\nbody\r\n' |
	$KEYS sign "$T/k.key" example.com s1 rsa-sha256 | $KEYS sign "$T/k.key" example.com s2 rsa-sha256 |
	$KEYS sign "$T/k.key" example.com s3 rsa-sha256 > "$T/three.eml"
dkim() { # dkim CONF: the results of the three signatures, in header order
	"$CHECK" -c "$1" --ip 192.0.2.1 --helo h.example --mail-from a@example.com --json "$T/three.eml" |
		"$PYTHON3" -c 'import json,sys; print(" ".join(s["selector"]+"="+s["result"] for s in json.load(sys.stdin)["dkim"]))'
}
conf "$T/d3" 'dkim = { max_signatures = 3; };'
conf "$T/d2" 'dkim = { max_signatures = 2; };'
am_is "dkim.max_signatures = 3: all three verified" "$(dkim "$T/d3")" "s3=pass s2=pass s1=pass"
got=$(dkim "$T/d2")
am_is "dkim.max_signatures = 2: the third is not verified" "$got" "s3=pass s2=pass s1=policy"
am_like "and its reason says so" "$("$CHECK" -c "$T/d2" --ip 192.0.2.1 --helo h.example \
	--mail-from a@example.com "$T/three.eml" | grep 's=s1')" 'limit'
