#!/usr/bin/env bash
# chatd's WebSocket (RFC 6455, chatd.v1) against an independent client implementation: the
# `websockets` library (Debian's python3-websockets; scripts/setup.sh installs it). See
# Tests/system/ws_conformance.py for the checks. Bounded to 120 s.
#   Tests/system/test-websocket.sh BIN_DIR
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: test-websocket.sh BIN_DIR}
if [[ ! -x $bin/chatd ]]; then echo "FAIL websocket: no chatd in $bin"; exit 1; fi
# /usr/bin/python3: the Debian interpreter the python3-websockets package installs into.
if ! /usr/bin/python3 -c 'import websockets' 2>/dev/null; then
  echo "FAIL websocket: python3-websockets is not installed (make setup)"; exit 1
fi
exec timeout --kill-after=10 120 /usr/bin/python3 "$here/ws_conformance.py" "$bin/chatd"
