#!/bin/sh
# authres_parse.sh - authres_format() output read back by python3-authres
# (TAP). Runs authres_parse.py with the first Python that has the Debian
# python3-authres module: $PYTHON3, then /usr/bin/python3.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${PYTHON3:=python3}"
for py in "$PYTHON3" /usr/bin/python3; do
	if "$py" -c 'import authres' 2>/dev/null; then
		exec "$py" "$top_srcdir/tests/integration/authres_parse.py" \
			"$top_builddir/tests/integration/authres_parse_driver"
	fi
done
echo "1..0 # SKIP python3-authres not importable (install the Debian package python3-authres)"
