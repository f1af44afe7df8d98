#!/bin/sh
# memory.sh - the daemon's memory stays bounded: VmRSS after a warm-up,
# after 100 messages, after 100 more (a leak shows as growth between the
# two rounds), and after the large inputs of bigheaders.py and dkim100.py.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/milter/lib.sh"
ml_require
am_tmp
sel=$("$PYTHON3" "$top_srcdir/tests/integration/dkimkeys.py" genkey rsa 1024 "$AM_TMP/rsa.key")
ML_ZONE_EXTRA="sel._domainkey.example.com	TXT	\"$sel\"
slow._domainkey.example.com	TIMEOUT	-"
TOTAL_MB=30   # bound on growth over the whole run
# Under AddressSanitizer freed memory waits in its quarantine (up to 256 MB)
# and per-thread caches, so the megabyte-sized packets of bigheaders.py
# show there as growth; the leak check is the round-to-round bound below.
if grep -q __asan_init "$ML_DAEMON"; then
	TOTAL_MB=96
fi
ROUND_MB=8    # bound on growth from the first 100 messages to the next 100
am_plan 7
ml_start

ml_lua "warm-up: 20 messages" load.lua n=20
rss0=$(ml_rss)
ml_lua "100 messages (accepted, rejected, forged A-R, aborted)" load.lua n=100
rss1=$(ml_rss)
ml_lua "100 more messages (200 in all)" load.lua n=100
rss2=$(ml_rss)
ml_py "large inputs: header sections up to 1 MiB" bigheaders.py
ml_py "large inputs: 100 DKIM signatures" dkim100.py "$AM_TMP/rsa.key"
rss3=$(ml_rss)
echo "# VmRSS kB: warm-up $rss0, after 100 messages $rss1, after 200 $rss2, after large inputs $rss3"
am_ok "second 100 messages grew VmRSS by less than $ROUND_MB MB ($((rss2 - rss1)) kB)" \
	test $((rss2 - rss1)) -lt $((ROUND_MB * 1024))
am_ok "whole run grew VmRSS by less than $TOTAL_MB MB ($((rss3 - rss0)) kB)" \
	test $((rss3 - rss0)) -lt $((TOTAL_MB * 1024))
