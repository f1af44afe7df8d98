#!/bin/sh
# install.sh - make install and make uninstall into a DESTDIR: the
# programs, the configuration (never over an existing one, with a copy in
# the documentation), the systemd units with this build's paths, the
# sysusers and tmpfiles files and the man pages land where configure said;
# the installed daemon accepts the installed configuration and -p shows
# it all default; uninstall leaves nothing but a configuration the
# operator changed.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
am_tmp
am_plan 11
D="$AM_TMP/root"
MK="${MAKE:-make}"

# What this build's configure chose (the Makefile's own variables).
"$MK" -s -C "$top_builddir" --no-print-directory am-install-paths > "$AM_TMP/paths"
. "$AM_TMP/paths"
echo "# prefix=$prefix sysconfdir=$sysconfdir units=$unitdir"

"$MK" -s -C "$top_builddir" install DESTDIR="$D" > "$AM_TMP/install.out" 2>&1
rc=$?
sed 's/^/#   /' "$AM_TMP/install.out" | tail -5
am_is "make install succeeds" "$rc" 0

missing=""
for f in "$sbindir/authmilter" "$sbindir/authmilter-report" "$bindir/authmilter-check" \
	"$sysconfdir/authmilter.conf" "$docdir/examples/authmilter.conf" \
	"$unitdir/authmilter.service" "$unitdir/authmilter-report.service" \
	"$unitdir/authmilter-report.timer" "$sysusersdir/authmilter.conf" \
	"$tmpfilesdir/authmilter.conf" "$mandir/man8/authmilter.8" "$mandir/man5/authmilter.conf.5" \
	"$mandir/man1/authmilter-check.1" "$mandir/man8/authmilter-report.8"; do
	[ -f "$D$f" ] || missing="$missing $f"
done
am_is "every file is installed (missing:$missing)" "$missing" ""

am_is "the units run the installed programs on the installed configuration" \
	"$(grep -h '^Exec' "$D$unitdir/authmilter.service" "$D$unitdir/authmilter-report.service" |
		grep -v '^ExecReload' | tr '\n' '|')" \
	"ExecStartPre=$sbindir/authmilter -n -c $sysconfdir/authmilter.conf|ExecStart=$sbindir/authmilter -f -c $sysconfdir/authmilter.conf|ExecStart=$sbindir/authmilter-report -c $sysconfdir/authmilter.conf|"

"$D$sbindir/authmilter" -n -c "$D$sysconfdir/authmilter.conf" > "$AM_TMP/n.out" 2>&1
am_is "the installed daemon accepts the installed configuration" "$?" 0
"$D$sbindir/authmilter" -p -c "$D$sysconfdir/authmilter.conf" > "$AM_TMP/p.out" 2>&1
am_is "-p: every key, all at their defaults" \
	"$?:$(grep -c '; # default$' "$AM_TMP/p.out"):$(grep -c '; # set$' "$AM_TMP/p.out")" \
	"0:$(wc -l < "$AM_TMP/p.out"):0"
# The compiled-in default is the installed path.
"$D$sbindir/authmilter" -n 2>&1 | sed 's/^/#   /' > "$AM_TMP/default.out"
am_like "without -c the daemon reads $sysconfdir/authmilter.conf" \
	"$(cat "$AM_TMP/default.out")" "$sysconfdir/authmilter\\.conf"

# An operator's configuration survives install and uninstall.
echo '# the operator was here' >> "$D$sysconfdir/authmilter.conf"
"$MK" -s -C "$top_builddir" install DESTDIR="$D" > "$AM_TMP/install2.out" 2>&1
am_is "a second install keeps the existing configuration" \
	"$?:$(tail -1 "$D$sysconfdir/authmilter.conf")" "0:# the operator was here"
"$MK" -s -C "$top_builddir" uninstall DESTDIR="$D" > "$AM_TMP/uninstall.out" 2>&1
am_is "uninstall succeeds" "$?" 0
am_is "uninstall leaves only the changed configuration" \
	"$(cd "$D" && find . -type f -o -type l | sort | tr '\n' ' ')" ".$sysconfdir/authmilter.conf "
am_like "and says it kept it" "$(cat "$AM_TMP/uninstall.out")" 'differs from the sample: kept'
cp "$top_srcdir/conf/authmilter.conf" "$D$sysconfdir/authmilter.conf"
"$MK" -s -C "$top_builddir" uninstall DESTDIR="$D" > /dev/null 2>&1
am_is "an unchanged configuration is removed: nothing is left" \
	"$(cd "$D" && find . -type f -o -type l | wc -l)" 0
