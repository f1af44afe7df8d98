#!/bin/sh
# arc_suite.sh - run arc_suite.py (TAP) with a python3 that has
# the Debian modules it needs (yaml for the suite, dnslib for amdns.py).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
export top_srcdir
for py in "${PYTHON3:-python3}" /usr/bin/python3 python3; do
	if "$py" -c 'import yaml, dnslib' 2>/dev/null; then
		exec "$py" "$top_srcdir/tests/conformance/arc_suite.py" "$@"
	fi
done
echo "Bail out! no python3 with the yaml and dnslib modules (python3-yaml, python3-dnslib)"
exit 1
