#!/usr/bin/env bash
# Publish latency in one room with the history budget below vs full (issue 10); see
# scripts/bench/history-budget.py for the scenario. Builds release chatd unless CHATD_BIN is set.
#   scripts/bench/history-budget.sh [--seconds 10] [--fillers 200] [--json out.json] ...
set -euo pipefail
cd "$(dirname "$0")/../.."
if [[ -z ${CHATD_BIN:-} ]]; then
  swift build -c release --product chatd >&2
  CHATD_BIN=$(swift build -c release --show-bin-path)/chatd
fi
exec python3 scripts/bench/history-budget.py --chatd "$CHATD_BIN" "$@"
