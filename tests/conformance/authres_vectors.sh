#!/bin/sh
# authres_vectors.sh - run authres_vectors.py against authres_driver (TAP)
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${PYTHON3:=python3}"
: "${CONFORMANCE_DIR:=$top_srcdir/../shared/conformance}"
export CONFORMANCE_DIR
exec "$PYTHON3" "$top_srcdir/tests/conformance/authres_vectors.py" \
	"$top_builddir/tests/conformance/authres_driver"
