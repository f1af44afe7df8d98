#!/bin/sh
# dkim_integration.sh - run dkim_integration.py (TAP) with a python3 that has
# the Debian modules it needs (python3-dkim, python3-nacl, python3-dnslib).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
export top_srcdir
for py in "${PYTHON3:-python3}" /usr/bin/python3 python3; do
	if "$py" -c 'import dkim, nacl, dnslib' 2>/dev/null; then
		exec "$py" "$top_srcdir/tests/integration/dkim_integration.py" "$@"
	fi
done
echo "Bail out! no python3 with the dkim, nacl and dnslib modules"
exit 1
