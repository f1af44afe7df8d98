#!/bin/sh
# run.sh - build the libFuzzer targets with clang and run each for a while
#
# Usage: tests/fuzz/run.sh [TARGET...]        (or: make fuzz)
#
# Environment:
#   FUZZ_SECONDS     seconds per target (default 60): -max_total_time
#   FUZZ_TARGETS     targets when none are named (default: all eight)
#   FUZZ_BUILD_DIR   the clang build tree (default: $top_builddir/fuzz-build
#                    under make, else /tmp/authmilter-fuzz-$(id -u)); its
#                    corpus/TARGET keeps what the fuzzer found between runs
#   FUZZ_JOBS        targets run at once (default 1)
#   FUZZ_ARGS        more libFuzzer options
#   CC               the clang to use (default clang)
#
# The tree is configured with CC=clang and -fsanitize=address,undefined
# plus -fsanitize=fuzzer-no-link (every undefined-behaviour report aborts),
# then only src/libamengine.a and tests/fuzz/fuzz_TARGET are built. Seed
# corpora are made fresh by build_seeds.py (conformance data read in place,
# messages signed with tests/fuzz/keys/). Each target runs with
# -detect_leaks=1; any crash, leak, timeout or sanitizer report fails the
# run and leaves the input in FUZZ_BUILD_DIR/artifacts/TARGET/. Copy it
# (minimized: fuzz_TARGET -minimize_crash=1 -runs=10000 INPUT) to
# tests/fuzz/regressions/TARGET/ so make check replays it.
# Needs Debian's clang-14 and libclang-rt-14-dev (libFuzzer and sanitizer
# runtimes); llvm-14 for symbolized stack traces.
set -u

src=$(cd "$(dirname "$0")/../.." && pwd)
if [ -n "${top_builddir:-}" ]; then
	def_build=$top_builddir/fuzz-build
else
	def_build=/tmp/authmilter-fuzz-$(id -u)
fi
build=${FUZZ_BUILD_DIR:-$def_build}
seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-1}
cc=${CC:-clang}
case "$cc" in *clang*) ;; *) cc=clang ;; esac
[ $# -gt 0 ] && FUZZ_TARGETS="$*"
targets=${FUZZ_TARGETS:-from authres_id dmarc_record config authres_format spf engine milter}
python3=/usr/bin/python3
[ -x "$python3" ] || python3=python3

die() {
	echo "fuzz: $*" >&2
	exit 1
}

mkdir -p "$build" || die "cannot create $build"
build=$(cd "$build" && pwd)

# Is there a clang with libFuzzer and the sanitizer runtimes?
probe=$build/probe
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)\n{ (void)d; (void)n; return 0; }\n' >"$probe.c"
"$cc" -fsanitize=fuzzer,address,undefined "$probe.c" -o "$probe" 2>"$probe.log" ||
	die "$cc cannot build a libFuzzer target (install clang-14 and libclang-rt-14-dev): $(head -3 "$probe.log")"

flags="-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fsanitize=fuzzer-no-link -fno-sanitize-recover=all"
if [ ! -f "$build/Makefile" ] || [ "$src/configure" -nt "$build/Makefile" ]; then
	[ -x "$src/configure" ] || (cd "$src" && ./autogen.sh) || die "autogen.sh failed"
	(cd "$build" && "$src/configure" -q CC="$cc" CFLAGS="$flags") ||
		die "configure failed (see $build/config.log)"
fi
bins=""
for t in $targets; do
	bins="$bins tests/fuzz/fuzz_$t"
done
# shellcheck disable=SC2086
make -C "$build" -s -j"$(nproc 2>/dev/null || echo 2)" src/libamengine.a $bins >"$build/make.log" 2>&1 ||
	{ tail -30 "$build/make.log" >&2; die "build failed (see $build/make.log)"; }

rm -rf "$build/seeds"
"$python3" "$src/tests/fuzz/build_seeds.py" "$build/seeds" || die "seed corpora failed"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$src/tests/fuzz/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# Runs one target; its libFuzzer output goes to $build/logs/TARGET.log.
run_one() {
	t=$1
	mkdir -p "$build/corpus/$t" "$build/artifacts/$t" "$build/logs"
	# shellcheck disable=SC2086
	"$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -detect_leaks=1 \
		-timeout=30 -rss_limit_mb=2560 -print_final_stats=1 \
		-artifact_prefix="$build/artifacts/$t/" ${FUZZ_ARGS:-} \
		"$build/corpus/$t" "$build/seeds/$t" >"$build/logs/$t.log" 2>&1
	rc=$?
	stats=$(grep -E '^stat::number_of_executed_units' "$build/logs/$t.log" | awk '{print $2}')
	cov=$(grep -oE 'cov: [0-9]+' "$build/logs/$t.log" | tail -1)
	if [ $rc -eq 0 ]; then
		echo "ok - fuzz_$t: ${seconds}s, ${stats:-?} runs, $cov"
	else
		echo "not ok - fuzz_$t: exit $rc after ${stats:-?} runs; log $build/logs/$t.log"
		grep -E 'ERROR: |SUMMARY: |invariant failed|runtime error' "$build/logs/$t.log" |
			head -5 | sed 's/^/#   /'
		ls "$build/artifacts/$t/" | sed "s|^|#   artifact $build/artifacts/$t/|"
	fi
	return $rc
}

pass=0
fail=0
results=$build/results
: >"$results"
running=0
for t in $targets; do
	(run_one "$t" >"$build/result.$t") &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait
		running=0
	fi
done
wait
for t in $targets; do
	cat "$build/result.$t"
	if grep -q '^ok' "$build/result.$t"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
