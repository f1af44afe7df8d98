#!/bin/sh
# analyze.sh - systemd/authmilter.service, authmilter.sysusers and the
# reporter's authmilter-report.service and .timer, checked offline (no running systemd needed): the unit's exposure level from
# `systemd-analyze security --offline=true` is at most MAX_EXPOSURE,
# `systemd-analyze verify` finds nothing, the hardening still leaves the
# daemon what it needs (its socket families, its RuntimeDirectory matching
# the sample configuration's socket, the network for DNS), the unit's
# ExecStartPre check passes on the sample configuration, and
# systemd-sysusers makes the user and nothing else. The
# reporter's unit is held to the same exposure ceiling, must verify with
# its timer, and must keep the store directory the daemon writes.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
MAX_EXPOSURE=2.0   # systemd's scale: 0 (best) .. 10; "OK" is below 5.0
UNIT="$top_srcdir/systemd/authmilter.service"
RUNIT="$top_srcdir/systemd/authmilter-report.service"
RTIMER="$top_srcdir/systemd/authmilter-report.timer"
REPORTER="$top_builddir/src/authmilter-report"
SYSUSERS="$top_srcdir/systemd/authmilter.sysusers"
DAEMON="$top_builddir/src/authmilter"

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "1..0 # SKIP systemd-analyze is not installed (Debian package systemd)"
	exit 0
fi
if ! systemd-analyze security --offline=true "$UNIT" >/dev/null 2>&1 &&
	! systemd-analyze security --help 2>/dev/null | grep -q -- --offline; then
	echo "1..0 # SKIP this systemd-analyze has no security --offline (systemd >= 252)"
	exit 0
fi
am_tmp
am_plan 15

# am_skip DESC REASON: one TAP line that is neither a pass nor a failure.
am_skip() {
	AM_TAP_N=$((AM_TAP_N + 1))
	echo "ok $AM_TAP_N - $1 # SKIP $2"
}

systemd-analyze security --offline=true "$UNIT" > "$AM_TMP/security" 2>&1
am_is "security --offline runs" "$?" 0
grep '✗' "$AM_TMP/security" | sed 's/^/#   /'
overall=$(sed -n 's/.*Overall exposure level for authmilter\.service: \([0-9.]*\) .*/\1/p' \
	"$AM_TMP/security")
echo "# overall exposure level: $overall (at most $MAX_EXPOSURE): $(grep -o 'Overall.*' "$AM_TMP/security")"
am_like "an overall exposure figure is printed" "$overall" '^[0-9]+\.[0-9]$'
am_ok "exposure $overall <= $MAX_EXPOSURE" \
	awk -v a="$overall" -v b="$MAX_EXPOSURE" 'BEGIN { exit !(a != "" && a + 0 <= b + 0) }'
# systemd's own comparison (--threshold is on the 0..100 scale).
am_ok "security --threshold=$(awk -v b=$MAX_EXPOSURE 'BEGIN { print b * 10 }') agrees" \
	systemd-analyze security --offline=true \
	--threshold="$(awk -v b=$MAX_EXPOSURE 'BEGIN { print b * 10 }')" "$UNIT"

# verify checks that ExecStart* are executables: point them at the build.
# --man=no: the Documentation= pages are not installed here (the package
# test verifies the installed units, pages included).
if [ -x "$DAEMON" ]; then
	sed "s#/usr/sbin/authmilter#$DAEMON#g" "$UNIT" > "$AM_TMP/authmilter.service"
	systemd-analyze verify --man=no "$AM_TMP/authmilter.service" > "$AM_TMP/verify" 2>&1
	rc=$?
	sed 's/^/#   /' "$AM_TMP/verify"
	am_is "verify: exit status 0 and no message" "$rc:$(wc -c < "$AM_TMP/verify")" "0:0"
	pre=$(sed -n 's#^ExecStartPre=/usr/sbin/authmilter ##p' "$UNIT" |
		sed "s#/etc/authmilter.conf#$top_srcdir/conf/authmilter.conf#")
	# shellcheck disable=SC2086
	am_ok "ExecStartPre ($pre) passes on the sample configuration" "$DAEMON" $pre
else
	am_skip "verify" "$DAEMON is not built"
	am_skip "ExecStartPre on the sample configuration" "$DAEMON is not built"
fi

# What the sandbox must still allow.
fams=$(sed -n 's/^RestrictAddressFamilies=//p' "$UNIT")
am_like "RestrictAddressFamilies keeps AF_UNIX, AF_INET, AF_INET6 ($fams)" \
	"$(for f in AF_UNIX AF_INET AF_INET6; do echo "$fams" | grep -qw "$f" && echo "$f"; done |
		tr '\n' ' ')" '^AF_UNIX AF_INET AF_INET6 $'
sockdir=$(sed -n 's#^socket = "local:\(.*\)/[^/]*";#\1#p' "$top_srcdir/conf/authmilter.conf")
am_is "RuntimeDirectory is the sample configuration's socket directory" \
	"/run/$(sed -n 's/^RuntimeDirectory=//p' "$UNIT")" "$sockdir"
am_is "no directive cuts DNS, syslog or the configuration off" \
	"$(grep -cE '^(PrivateNetwork=(yes|true)|IPAddressDeny=|InaccessiblePaths=|TemporaryFileSystem=/(etc|usr|dev|run))' "$UNIT")" 0

mkdir -p "$AM_TMP/root/etc"
systemd-sysusers --root="$AM_TMP/root" - < "$SYSUSERS" > "$AM_TMP/sysusers" 2>&1
am_is "sysusers: the user authmilter and its group, and nothing else (no postfix user)" \
	"$(cut -d: -f1,7 "$AM_TMP/root/etc/passwd" | tr '\n' ' ')$(cut -d: -f1 "$AM_TMP/root/etc/group" | tr '\n' ' ')" \
	"authmilter:/usr/sbin/nologin authmilter "

# The reporter: same ceiling; verify the service with its timer (ExecStart
# pointed at the build); the state directory is the default store's.
systemd-analyze security --offline=true "$RUNIT" > "$AM_TMP/rsecurity" 2>&1
roverall=$(sed -n 's/.*Overall exposure level for authmilter-report\.service: \([0-9.]*\) .*/\1/p' \
	"$AM_TMP/rsecurity")
echo "# reporter exposure level: $roverall (at most $MAX_EXPOSURE)"
am_ok "reporter exposure $roverall <= $MAX_EXPOSURE" \
	awk -v a="$roverall" -v b="$MAX_EXPOSURE" 'BEGIN { exit !(a != "" && a + 0 <= b + 0) }'
if [ -x "$REPORTER" ]; then
	sed "s#/usr/sbin/authmilter-report#$REPORTER#g" "$RUNIT" > "$AM_TMP/authmilter-report.service"
	cp "$RTIMER" "$AM_TMP/authmilter-report.timer"
	systemd-analyze verify --man=no "$AM_TMP/authmilter-report.service" \
		"$AM_TMP/authmilter-report.timer" > "$AM_TMP/rverify" 2>&1
	rc=$?
	sed 's/^/#   /' "$AM_TMP/rverify"
	am_is "verify reporter service and timer: exit 0, no message" \
		"$rc:$(wc -c < "$AM_TMP/rverify")" "0:0"
else
	am_skip "verify reporter service and timer" "$REPORTER is not built"
fi
am_is "reporter runs as the daemon's user and group" \
	"$(sed -n 's/^User=//p' "$RUNIT"):$(sed -n 's/^Group=//p' "$RUNIT")" "authmilter:authmilter"
storedir=$(sed -n 's#^ *store = "sqlite:\(.*\)/[^/]*";#\1#p' "$top_srcdir/conf/authmilter.conf")
am_is "reporter and daemon share StateDirectory, the sample store's directory" \
	"/var/lib/$(sed -n 's/^StateDirectory=//p' "$UNIT") /var/lib/$(sed -n 's/^StateDirectory=//p' "$RUNIT")" \
	"$storedir $storedir"
am_like "the timer runs daily, catches up missed runs, and spreads start times" \
	"$(grep -E '^(OnCalendar|Persistent|RandomizedDelaySec)=' "$RTIMER" | sort | tr '\n' ' ')" \
	'^OnCalendar=\*-\*-\* [0-9:]+ UTC Persistent=true RandomizedDelaySec=[0-9]+min $'
