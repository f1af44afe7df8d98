#!/bin/sh
# dmarc_eval_scenarios.sh - runs dmarc_eval_scenarios.py with the configured
# python (TAP on stdout)
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
exec "${PYTHON3:-python3}" "$top_srcdir/tests/conformance/dmarc_eval_scenarios.py"
