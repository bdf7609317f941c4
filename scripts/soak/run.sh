#!/usr/bin/env bash
# Soak: mixed chat load (joins, leaves, nick changes, messages, FIN/RST disconnects and
# reconnects) against a release chatd for DURATION seconds, then checks no loss for the
# observer clients, same order everywhere, RSS back near baseline and fds back to baseline.
#   scripts/soak/run.sh [DURATION]          (default 60)
# CHATD_BIN=path/to/chatd skips the build (default: release build in .build-soak).
# SOAK_CHURNERS (60), SOAK_SEED, SOAK_RSS_SLACK_KIB (16384), SOAK_CHATD_FLAGS.
set -uo pipefail
cd "$(dirname "$0")/../.."
duration=${1:-60}
bin=${CHATD_BIN:-}
if [[ -z $bin ]]; then
    echo "== building chatd (release, .build-soak)"
    swift build -c release --product chatd --scratch-path .build-soak || { echo "FAIL soak: build"; exit 1; }
    bin=.build-soak/release/chatd
fi
exec timeout --kill-after=10 $((duration + 120)) python3 scripts/soak/soak.py "$bin" "$duration"
