#!/usr/bin/env bash
# End-to-end: chatd-client's scripting mode (stdin not a terminal) against a real chatd.
#
#   Tests/system/client-scripted.sh CHATD CHATD_CLIENT     (or: BIN_DIR, or $CHATD_BIN/$CHATD_CLIENT_BIN)
#
# Two-way chat over loopback on a free port, `user > text` transcripts, /me and private
# messages, the first input line as username, EOF → flush, grace period, exit 0; a taken
# name → exit 2; --no-reconnect with no daemon → exit 1; reconnect + room re-join after
# the daemon restarts on the same port. Stops only the processes it started (by PID);
# every wait is bounded; the whole script takes ~10 s.
set -euo pipefail

if [[ $# -ge 2 ]]; then CHATD=$1 CLIENT=$2
elif [[ $# -eq 1 ]]; then CHATD=$1/chatd CLIENT=$1/chatd-client
else CHATD=${CHATD_BIN:?usage: $0 CHATD CHATD_CLIENT} CLIENT=${CHATD_CLIENT_BIN:?}
fi
[[ -x $CHATD && -x $CLIENT ]] || { echo "not executable: $CHATD / $CLIENT" >&2; exit 2; }

WORK=$(mktemp -d /tmp/chatd-client-scripted.XXXXXX)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if [[ ${KEEP:-0} == 1 || ${FAILED:-0} == 1 ]]; then echo "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
fail() { FAILED=1; echo "FAIL: $*" >&2; for f in "$WORK"/*.out "$WORK"/*.err; do [[ -s $f ]] && { echo "--- $f"; cat "$f"; }; done; exit 1; }
pass() { echo "ok - $*"; }

. "$(dirname "${BASH_SOURCE[0]}")/daemon-lib.sh"
# wait_for FILE FIXED-STRING [SECONDS]
wait_for() {
  local deadline=$((SECONDS + ${3:-5}))
  until grep -qF -- "$2" "$1" 2>/dev/null; do
    ((SECONDS < deadline)) || fail "timed out waiting for '$2' in $(basename "$1")"
    sleep 0.05
  done
}
wait_for_re() {
  local deadline=$((SECONDS + ${3:-5}))
  until grep -qE -- "$2" "$1" 2>/dev/null; do
    ((SECONDS < deadline)) || fail "timed out waiting for /$2/ in $(basename "$1")"
    sleep 0.05
  done
}
# A client fed through a FIFO the test writes to: start_client NAME ARGS...
start_client() {
  local name=$1; shift
  mkfifo "$WORK/$name.in"
  timeout 25 "$CLIENT" --port "$PORT" --max-backoff 0.5 "$@" <"$WORK/$name.in" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  PIDS+=("$!"); eval "${name}_PID=$!"
  exec {fd}>"$WORK/$name.in"; eval "${name}_FD=$fd"
}
say() { local fd_var="${1}_FD"; printf '%s\n' "$2" >&"${!fd_var}"; }

start_chatd

# bob logs in with --user; alice, like the seed's client, sends her name as the first line.
start_client bob --user bob
start_client alice
say alice alice
say alice "hello bob"
wait_for "$WORK/bob.out" "alice > hello bob"
pass "alice → bob (live or history replay)"

say bob "hi alice"
wait_for "$WORK/alice.out" "bob > hi alice"
pass "bob → alice"

say alice "/me waves"
wait_for "$WORK/bob.out" "alice > /me waves"
say bob "/msg alice psst"
wait_for "$WORK/alice.out" "bob > (private) psst"
wait_for "$WORK/bob.out" "* > (private to alice) psst"
pass "/me and private messages in seed format"

# EOF on alice's stdin: she leaves with status 0 after the grace period.
exec {alice_FD}>&-
t0=$SECONDS
status=0; wait "$alice_PID" || status=$?
[[ $status == 0 ]] || fail "alice exited $status after EOF"
((SECONDS - t0 <= 4)) || fail "alice took $((SECONDS - t0)) s to exit after EOF"
wait_for_re "$WORK/bob.out" '^\* > alice (left|disconnected|quit)'
pass "EOF → exit 0 within the grace period"

# A one-shot pipeline: every line is written before the client exits.
printf 'carol\nline one\nline two\n' | timeout 10 "$CLIENT" --port "$PORT" --eof-grace 0.3 >"$WORK/carol.out" 2>"$WORK/carol.err" \
  || fail "carol exited $?"
wait_for "$WORK/bob.out" "carol > line two"
pass "pipeline flushes all lines before exiting"

# Replies arriving during the grace period are printed.
(printf 'dave\nping\n'; sleep 0) | timeout 10 "$CLIENT" --port "$PORT" --eof-grace 1.5 >"$WORK/dave.out" 2>"$WORK/dave.err" &
DAVE=$!; PIDS+=("$DAVE")
wait_for "$WORK/bob.out" "dave > ping"
say bob "pong"
status=0; wait "$DAVE" || status=$?
[[ $status == 0 ]] || fail "dave exited $status"
grep -qF "bob > pong" "$WORK/dave.out" || fail "reply during the grace period was lost"
pass "replies during the EOF grace period are printed"

# A taken name is a refused login: exit 2 with the server's error, no retry loop.
status=0; echo "x" | timeout 10 "$CLIENT" --port "$PORT" --user BOB >"$WORK/taken.out" 2>"$WORK/taken.err" || status=$?
[[ $status == 2 ]] || fail "taken name: exit $status, want 2"
grep -q "taken" "$WORK/taken.err" || fail "taken name: no error shown"
pass "taken username → exit 2"

# Reconnect: bob moves to #rust, the daemon restarts, bob comes back into #rust by himself.
say bob "/join rust"
wait_for "$WORK/bob.out" "* > you joined #rust"
stop_chatd
wait_for "$WORK/bob.err" "connection lost"
start_chatd
for i in $(seq 40); do
  grep -c "you joined #rust" "$WORK/bob.out" | grep -qx 2 && break
  sleep 0.1
done
wait_for "$WORK/bob.out" "* > you joined #rust" 1
[[ $(grep -c "you joined #rust" "$WORK/bob.out") == 2 ]] || fail "bob did not re-join #rust after the restart"
printf 'erin\n/join rust\nafter restart\n' | timeout 10 "$CLIENT" --port "$PORT" --eof-grace 0.2 >/dev/null 2>"$WORK/erin.err" \
  || fail "erin exited $?"
wait_for "$WORK/bob.out" "erin > after restart"
kill -0 "$bob_PID" || fail "bob exited"
pass "reconnect after daemon restart re-joins the room"

# --no-reconnect and nothing listening: a clear error and exit 1, at once.
stop_chatd
status=0; echo hi | timeout 10 "$CLIENT" --port "$PORT" --user x --no-reconnect >/dev/null 2>"$WORK/noconn.err" || status=$?
[[ $status == 1 ]] || fail "--no-reconnect without a daemon: exit $status, want 1"
grep -q "cannot connect" "$WORK/noconn.err" || fail "no connection error shown"
pass "--no-reconnect without a daemon → exit 1"

echo "client-scripted: all passed"
