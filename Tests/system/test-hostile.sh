#!/usr/bin/env bash
# Hostile-client suite against the real chatd binary over loopback (issue 7):
# slowloris, connect flood, never-reading clients, per-IP cap, huge headers, zero-length
# frames, binary garbage, half-closed sockets, RST mid-frame, signals, and the handshake
# input-buffer amplification bound. Every check prints PASS/FAIL; exits 1 on any failure.
#   Tests/system/test-hostile.sh BIN_DIR [CHECK...]     e.g. .build/debug slowloris
# Sizes: HOSTILE_SLOWLORIS, HOSTILE_FLOOD_RATE, HOSTILE_FLOOD_SECONDS, HOSTILE_NEVER_READERS,
# HOSTILE_HEALTHY, HOSTILE_AMPLIFY (see Tests/system/hostile.py). Bounded: the whole suite is
# killed after HOSTILE_TIMEOUT seconds (default 170).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: test-hostile.sh BIN_DIR [CHECK...]}
shift
if [[ ! -x $bin/chatd ]]; then echo "FAIL hostile: no chatd in $bin"; exit 1; fi
exec timeout --kill-after=10 "${HOSTILE_TIMEOUT:-170}" python3 "$here/hostile.py" "$bin" "$@"
