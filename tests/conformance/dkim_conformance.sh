#!/bin/sh
# dkim_conformance.sh - run dkim_conformance.py (TAP) with a python3 that has
# the Debian modules it needs (dkim for key sizes, dnslib for amdns.py).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
export top_srcdir
for py in "${PYTHON3:-python3}" /usr/bin/python3 python3; do
	if "$py" -c 'import dkim, dnslib' 2>/dev/null; then
		exec "$py" "$top_srcdir/tests/conformance/dkim_conformance.py" "$@"
	fi
done
echo "Bail out! no python3 with the dkim and dnslib modules (python3-dkim, python3-dnslib)"
exit 1
