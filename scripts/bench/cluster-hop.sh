#!/usr/bin/env bash
# What the Redis hop adds for recipients on the sender's own node (--cluster vs standalone);
# see scripts/bench/cluster-hop.py. Builds release chatd unless CHATD_BIN is set.
#   scripts/bench/cluster-hop.sh [--messages 2000]
set -euo pipefail
cd "$(dirname "$0")/../.."
if [[ -z ${CHATD_BIN:-} ]]; then
  swift build -c release --product chatd >&2
  CHATD_BIN=$(swift build -c release --show-bin-path)/chatd
fi
exec python3 scripts/bench/cluster-hop.py --chatd "$CHATD_BIN" "$@"
