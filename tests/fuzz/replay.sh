#!/bin/sh
# replay.sh - run the saved fuzz inputs through the normal build (TAP)
#
# Every file under tests/fuzz/regressions/TARGET/ (inputs that once made a
# target crash, leak or fail an invariant) and tests/fuzz/seeds/TARGET/
# (hand-written seeds) is fed to tests/fuzz/replay_TARGET, the fuzz target
# built with the normal compiler and replay_main.c. One test per file: ok
# when the target returns normally.
set -u

src=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
bld=${top_builddir:-.}
targets="from authres_id dmarc_record config authres_format spf engine milter"

list=$(mktemp)
trap 'rm -f "$list" "$list.out"' EXIT
for t in $targets; do
	for d in regressions seeds; do
		[ -d "$src/tests/fuzz/$d/$t" ] || continue
		for f in "$src/tests/fuzz/$d/$t"/*; do
			[ -f "$f" ] && printf '%s\t%s\t%s\n' "$t" "$d" "$f"
		done
	done
done >"$list"

n=$(wc -l <"$list")
if [ "$n" -eq 0 ]; then
	echo "1..0 # SKIP skipped: no saved fuzz inputs"
	exit 0
fi
echo "1..$n"
i=0
while IFS='	' read -r t d f; do
	i=$((i + 1))
	name="$t $d/$(basename "$f")"
	bin="$bld/tests/fuzz/replay_$t"
	if [ ! -x "$bin" ]; then
		echo "not ok $i - $name: $bin not built"
		continue
	fi
	if "$bin" "$f" >"$list.out" 2>&1; then
		echo "ok $i - $name"
	else
		echo "not ok $i - $name: exit status $?"
		sed 's/^/# /' "$list.out" | head -20
	fi
done <"$list"
