#!/usr/bin/env bash
# End-to-end: the interactive chatd-client driven under tmux against a real chatd.
#
#   Tests/system/client-tmux.sh CHATD CHATD_CLIENT     (or: BIN_DIR, or $CHATD_BIN/$CHATD_CLIENT_BIN)
#
# Checks, on a 120x30 pane: a half-typed line survives incoming messages (still on the
# input line, cursor after it, sent intact when finished); Up recalls history; /join and
# reconnect after the daemon is killed and restarted on the same port (the client comes
# back into its room); Ctrl-D exits with status 0. Uses a private tmux server (-L), stops
# only what it started; every wait is bounded; the whole script takes ~10 s.
# CAPTURE=FILE saves the final screen (for the README).
set -euo pipefail

if [[ $# -ge 2 ]]; then CHATD=$1 CLIENT=$2
elif [[ $# -eq 1 ]]; then CHATD=$1/chatd CLIENT=$1/chatd-client
else CHATD=${CHATD_BIN:?usage: $0 CHATD CHATD_CLIENT} CLIENT=${CHATD_CLIENT_BIN:?}
fi
[[ -x $CHATD && -x $CLIENT ]] || { echo "not executable: $CHATD / $CLIENT" >&2; exit 2; }
command -v tmux >/dev/null || { echo "tmux is not installed" >&2; exit 2; }
CHATD=$(realpath "$CHATD") CLIENT=$(realpath "$CLIENT")

WORK=$(mktemp -d /tmp/chatd-client-tmux.XXXXXX)
SOCK="chatd-client-test-$$"
T() { tmux -L "$SOCK" -f /dev/null "$@"; }
PIDS=()
cleanup() {
  local p
  T kill-server 2>/dev/null || true
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if [[ ${KEEP:-0} == 1 || ${FAILED:-0} == 1 ]]; then echo "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
screen() { T capture-pane -p -t chat 2>/dev/null || true; }
fail() { FAILED=1; echo "FAIL: $*" >&2; echo "--- screen"; screen; exit 1; }
pass() { echo "ok - $*"; }

. "$(dirname "${BASH_SOURCE[0]}")/daemon-lib.sh"
# wait_screen FIXED-STRING [SECONDS] [COUNT]: the pane shows the string (COUNT times).
wait_screen() {
  local deadline=$((SECONDS + ${2:-5})) want=${3:-1}
  until (( $(screen | grep -cF -- "$1" || true) >= want )); do
    ((SECONDS < deadline)) || fail "timed out waiting for '$1' on screen"
    sleep 0.05
  done
}
input_line() { screen | grep -v '^$' | tail -1; }
# One message from another user, through the client's scripting mode.
other() { # NAME [ROOM] TEXT...
  local name=$1 room=$2; shift 2
  { echo "$name"; [[ -n $room ]] && echo "/join $room"; printf '%s\n' "$@"; } |
    timeout 10 "$CLIENT" --port "$PORT" --eof-grace 0.2 >/dev/null 2>>"$WORK/other.err" || fail "$name exited $?"
}

start_chatd
T new-session -d -s chat -x 120 -y 30 \
  "env NO_COLOR=1 TERM=xterm-256color '$CLIENT' --port $PORT --user zoe --max-backoff 0.5; echo \$? >'$WORK/exit'; sleep 30"
wait_screen "connected to 127.0.0.1:$PORT as zoe"
wait_screen "#lobby>"

# 1. Half a line typed, then messages arrive: the text stays on the input line.
T send-keys -t chat -l "half typed li"
wait_screen "#lobby> half typed li"
other amy "" "first incoming" "second incoming"
wait_screen "amy │ second incoming"
[[ $(input_line) == "#lobby> half typed li" ]] || fail "input line garbled: '$(input_line)'"
cursor=$(T display -p -t chat '#{cursor_x}')
[[ $cursor == 21 ]] || fail "cursor at column $cursor, want 21"
screen | grep -B3 "^#lobby> half typed li" | grep -qF "amy │ first incoming" || fail "messages not printed above the input line"
# Finish the line: the whole text is sent and echoed.
T send-keys -t chat -l "ne"
T send-keys -t chat Enter
wait_screen "zoe │ half typed line"
pass "half-typed line kept intact while messages arrive"

# 2. History: Up recalls the last line; Ctrl-U clears it again.
T send-keys -t chat Up
wait_screen "#lobby> half typed line"
[[ $(input_line) == "#lobby> half typed line" ]] || fail "Up did not recall the line: '$(input_line)'"
T send-keys -t chat C-u
for i in $(seq 40); do [[ $(input_line) == "#lobby>" ]] && break; sleep 0.05; done
[[ $(input_line) == "#lobby>" ]] || fail "Ctrl-U did not clear the line: '$(input_line)'"
pass "Up recalls history"

# 3. Reconnect: join #rust, kill and restart the daemon on the same port.
T send-keys -t chat -l "/join rust"
T send-keys -t chat Enter
wait_screen "you joined #rust"
wait_screen "#rust>"
stop_chatd
wait_screen "connection lost"
wait_screen "(offline) #rust>"
start_chatd
wait_screen "connected to 127.0.0.1:$PORT as zoe" 10 2
wait_screen "you joined #rust" 5 2
other bea rust "back in rust"
wait_screen "bea │ back in rust"
pass "reconnect after daemon restart, room re-joined"

# 4. /me and a private message render as such.
other cid rust "/me waves" "/msg zoe psst"
wait_screen "* │ cid waves"
wait_screen "cid » (private) psst"
pass "/me and private messages rendered"
[[ -n ${CAPTURE:-} ]] && screen >"$CAPTURE"

# 5. Ctrl-D on an empty line: exit status 0.
T send-keys -t chat C-d
for i in $(seq 100); do [[ -s $WORK/exit ]] && break; sleep 0.05; done
[[ -s $WORK/exit ]] || fail "client did not exit on Ctrl-D"
[[ $(cat "$WORK/exit") == 0 ]] || fail "Ctrl-D exit status $(cat "$WORK/exit")"
pass "Ctrl-D exits with status 0"

echo "client-tmux: all passed"
