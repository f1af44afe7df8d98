#!/bin/sh
# man.sh - the manual pages (man/*) are clean mdoc and say what the code
# does: `mandoc -Tlint -W style` reports nothing for each page; every key
# of the key table config_keys[] (src/config/config.c) is an item of
# authmilter.conf(5) and a setting, or a commented-out setting, of the
# sample conf/authmilter.conf, and neither names a key the table does not
# have; the page's type, range and default of each key are the table's,
# and the sample's values are the table's defaults (tests/doc/mankeys.py
# reads the three files); and the built daemon's `authmilter -p` prints
# the page's defaults for an empty configuration.
#
# Why -W style and not plain -Tlint (which means -W all): "all" adds the
# "base" class, the OpenBSD and NetBSD base-system conventions; at that
# level every cross reference to a page that is not in this machine's
# installed mandoc.db is reported, which our own pages are not until they
# are installed. Plain -Tlint reports nothing else for these pages.
# Cross references to pages of other packages that are not installed
# here (postconf(5) without Postfix) are shown, not counted.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
PAGES="man/authmilter.8 man/authmilter.conf.5 man/authmilter-check.1 man/authmilter-report.8"
CONFIG_C="$top_srcdir/src/config/config.c"
MAN5="$top_srcdir/man/authmilter.conf.5"
SAMPLE="$top_srcdir/conf/authmilter.conf"
am_tmp
am_plan 12

# am_keys CMD FILE...: tests/doc/mankeys.py (the key lists and values).
am_keys() { "$PYTHON3" "$top_srcdir/tests/doc/mankeys.py" "$@"; }

# am_skip DESC REASON: one TAP line that is neither a pass nor a failure.
am_skip() {
	AM_TAP_N=$((AM_TAP_N + 1))
	echo "ok $AM_TAP_N - $1 # SKIP $2"
}

# am_none DESC TEXT: ok when TEXT is empty; otherwise each of its lines is
# shown as a diagnostic.
am_none() {
	if [ -z "$2" ]; then
		am_result 0 "$1"
	else
		am_result 1 "$1"
		printf '%s\n' "$2" | sed 's/^/#   /'
	fi
}

# The pages under their sections, so that .Xr between them resolves.
mkdir -p "$AM_TMP/man/man1" "$AM_TMP/man/man5" "$AM_TMP/man/man8"
own=""
for p in $PAGES; do
	f=${p#man/}
	ln -s "$top_srcdir/$p" "$AM_TMP/man/man${f##*.}/$f"
	own="$own ${f%.*}"
done
for p in $PAGES; do
	if ! command -v mandoc >/dev/null 2>&1; then
		am_skip "mandoc -Tlint: $p" "mandoc is not installed (Debian package mandoc)"
		continue
	fi
	if [ ! -f "$top_srcdir/$p" ]; then
		am_result 1 "mandoc -Tlint: $p exists"
		continue
	fi
	# "outdated mandoc.db" is about this machine's database, not the page.
	(cd "$top_srcdir" && mandoc -Tlint -W style -m "$AM_TMP/man" "$p") 2>&1 |
		grep -v 'outdated mandoc\.db' > "$AM_TMP/lint"
	: > "$AM_TMP/lint.bad"
	while IFS= read -r line; do
		xr=$(printf '%s\n' "$line" |
			sed -n 's/.*STYLE: referenced manual not found: Xr \([^ ]*\) .*/\1/p')
		if [ -n "$xr" ] && ! printf ' %s \n' "$own " | grep -q " $xr "; then
			echo "# not installed here, not counted: $line"
		else
			printf '%s\n' "$line" >> "$AM_TMP/lint.bad"
		fi
	done < "$AM_TMP/lint"
	am_none "mandoc -Tlint -W style: $p" "$(cat "$AM_TMP/lint.bad")"
done

if ! "$PYTHON3" -c '' 2>/dev/null; then
	for d in "key table" "keys in authmilter.conf(5)" "keys in the sample" \
		"no unknown key in authmilter.conf(5)" "no unknown key in the sample" \
		"types, ranges, defaults in authmilter.conf(5)" "values of the sample" \
		"authmilter -p"; do
		am_skip "$d" "python3 is not installed (Debian package python3)"
	done
	exit 0
fi

am_keys table "$CONFIG_C" > "$AM_TMP/table" 2> "$AM_TMP/table.err"
am_none "the key table config_keys[] is read ($(wc -l < "$AM_TMP/table") keys)" \
	"$(cat "$AM_TMP/table.err"; [ -s "$AM_TMP/table" ] || echo "no keys")"
if [ ! -s "$AM_TMP/table" ]; then
	echo "Bail out! no keys read from $CONFIG_C: nothing to compare the pages with"
	exit 1
fi
am_keys man "$MAN5" > "$AM_TMP/keys.man" 2>&1
am_keys sample "$SAMPLE" > "$AM_TMP/sample" 2>&1
sort -u "$AM_TMP/table" > "$AM_TMP/table.s"
sort -u "$AM_TMP/keys.man" > "$AM_TMP/man.s"
sort -u "$AM_TMP/sample" > "$AM_TMP/sample.s"

am_none "every key of the table is an item (.It Cm KEY) of authmilter.conf(5)" \
	"$(comm -23 "$AM_TMP/table.s" "$AM_TMP/man.s" | sed 's/$/: missing/')"
am_none "every key of the table is in conf/authmilter.conf (set or commented out)" \
	"$(comm -23 "$AM_TMP/table.s" "$AM_TMP/sample.s" | sed 's/$/: missing/')"
am_none "authmilter.conf(5) documents no key the table lacks, and each once" \
	"$(comm -13 "$AM_TMP/table.s" "$AM_TMP/man.s" | sed 's/$/: not in the table/'
	sort "$AM_TMP/keys.man" | uniq -d | sed 's/$/: documented more than once/')"
am_none "conf/authmilter.conf sets no key the table lacks, and each once" \
	"$(comm -13 "$AM_TMP/table.s" "$AM_TMP/sample.s" | sed 's/$/: not in the table/'
	sort "$AM_TMP/sample" | uniq -d | sed 's/$/: more than once/')"
am_none "authmilter.conf(5) gives each key the table's type, range and default" \
	"$(am_keys man-values "$CONFIG_C" "$MAN5" 2>&1)"
am_none "conf/authmilter.conf shows each key with the table's default" \
	"$(am_keys sample-values "$CONFIG_C" "$SAMPLE" 2>&1)"

# What the program itself prints. authserv_id is left out: "" stands for
# the host name, which -p prints.
DAEMON="$top_builddir/src/authmilter"
: > "$AM_TMP/empty.conf"
if [ ! -x "$DAEMON" ]; then
	am_skip "authmilter -p prints the defaults of authmilter.conf(5)" "$DAEMON is not built"
elif ! "$DAEMON" -p -c "$AM_TMP/empty.conf" > "$AM_TMP/p" 2> "$AM_TMP/p.err" &&
	grep -q '^usage:' "$AM_TMP/p.err"; then
	am_skip "authmilter -p prints the defaults of authmilter.conf(5)" "this build has no -p"
else
	grep -v '^authserv_id ' "$AM_TMP/p" | sed 's/ # default$//' | sort > "$AM_TMP/p.s"
	am_keys man-defaults "$MAN5" 2>&1 | grep -v '^authserv_id ' | sort > "$AM_TMP/mdef.s"
	am_none "authmilter -p prints the defaults of authmilter.conf(5), each marked default" \
		"$(diff "$AM_TMP/mdef.s" "$AM_TMP/p.s" | sed -n 's/^< /page:  /p; s/^> /-p:    /p')"
fi
