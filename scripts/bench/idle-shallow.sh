#!/usr/bin/env bash
# Issue 17's figures in one run; `make bench` runs it after the main tables. Writes the "Idle
# memory per protocol and shallow batches" section of BENCHMARKS.md (between its markers):
#   - daemon RSS per greeted idle connection for each of chatd's protocols (framed, IRC,
#     WebSocket), 19,000 connections in 190 rooms of 100 (an IRC or chatd.v1 join answers with
#     the member list, so one room of 19,000 would cost O(N²) at the ramp), redis-server
#     pub/sub on the same 190 channels as the baseline;
#   - fan-out with only 32 and 8 messages in flight per sender (`--window`), chatd and
#     redis-server interleaved A/B/A/B (PAIRS pairs per window), server CPU per delivery and the
#     load generator's CPU beside each figure.
# Every server is started here, fresh for each run, and stopped by its own PID.
#
#   scripts/bench/idle-shallow.sh [OUT.md]        (default BENCHMARKS.md)
# Environment: BIN (release bin dir with chatd and chatd-bench; built if unset), BENCH_WORK
# (default /tmp/chatd-bench-work), BENCH_QUICK=1 (1-second runs, 2,000 connections),
# BENCH_PROCS (generator processes, default 2), PAIRS (A/B pairs per window, default 3).
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
OUT=${1:-BENCHMARKS.md}
WORK=${BENCH_WORK:-/tmp/chatd-bench-work}/idle-shallow
QUICK=${BENCH_QUICK:-0}
PROCS=${BENCH_PROCS:-2}
mkdir -p "$WORK"
RESULTS=$WORK/results.jsonl LOG=$WORK/run.log
: >"$RESULTS"; : >"$LOG"
cut -d" " -f1-3 /proc/loadavg >"$WORK/loadavg"
START=$SECONDS
if [[ $QUICK == 1 ]]; then DUR=1; WARM=0.5; CONNS=2000; ROOMS=20; PAIRS=${PAIRS:-1}
else DUR=5; WARM=1; CONNS=19000; ROOMS=190; PAIRS=${PAIRS:-3}; fi

if [[ -z ${BIN:-} ]]; then
  echo "== building chatd, chatd-bench (release)"
  for p in chatd chatd-bench; do swift build -c release --product "$p" >>"$LOG" 2>&1; done
  BIN=$(swift build -c release --show-bin-path)
fi
for p in chatd chatd-bench; do [[ -x $BIN/$p ]] || { echo "missing $BIN/$p" >&2; exit 1; }; done
command -v redis-server >/dev/null || ./scripts/bench/setup.sh

ulimit -n "$(ulimit -Hn)"
PID=
stop_server() {
  if [[ -n $PID ]] && kill -0 "$PID" 2>/dev/null; then
    kill "$PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
  fi
  PID=
}
trap stop_server EXIT INT TERM
wait_port() {
  for _ in $(seq 150); do
    (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
    kill -0 "$PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

CHATD_FLAGS=(--threads 1 --msg-rate 0 --max-conns-per-ip 0 --history 0)
# start NAME PORT: sets PID.
start() {
  case $1 in
  chatd) "$BIN/chatd" --listen "127.0.0.1:$2" "${CHATD_FLAGS[@]}" >>"$LOG" 2>&1 & PID=$! ;;
  chatd-irc) "$BIN/chatd" --listen "irc://127.0.0.1:$2" "${CHATD_FLAGS[@]}" >>"$LOG" 2>&1 & PID=$! ;;
  chatd-ws) "$BIN/chatd" --listen "http://127.0.0.1:$2" --web-root "$REPO/www" "${CHATD_FLAGS[@]}" >>"$LOG" 2>&1 & PID=$! ;;
  redis) redis-server --port "$2" --bind 127.0.0.1 --protected-mode no --save '' --appendonly no \
    --maxclients 19990 --daemonize no --logfile "$WORK/redis.log" & PID=$! ;;
  esac
  wait_port "$2"
}
adapter() { case $1 in chatd-irc) echo irc ;; chatd-ws) echo ws ;; redis) echo resp ;; *) echo framed ;; esac; }

PORT=7910
# run NAME EXTRA_JSON SCENARIO ARGS...: one fresh server, one chatd-bench run, one JSON line.
run() {
  local name=$1 extra=$2 scenario=$3; shift 3
  PORT=$((PORT + 1))
  if ! start "$name" "$PORT"; then echo "   $name: did not start" | tee -a "$LOG"; stop_server; return; fi
  printf '   %-10s %-12s %s\n' "$name" "$scenario" "$*"
  local line
  line=$(timeout 180 "$BIN/chatd-bench" "$scenario" --port "$PORT" --adapter "$(adapter "$name")" --server-pid "$PID" \
    --label "$name" --json "$@" 2>>"$LOG") || true
  if [[ $line == "{"* ]]; then echo "${line%\}}, $extra}" >>"$RESULTS"
  else echo "{\"label\": \"$name\", \"scenario\": \"$scenario\", \"failed\": true, $extra}" >>"$RESULTS"; fi
  stop_server
  sleep 0.5
}

echo "== idle memory: $CONNS greeted connections in $ROOMS rooms, per protocol"
for s in chatd chatd-irc chatd-ws redis; do
  run "$s" '"part": "idle"' connections --clients "$CONNS" --rooms "$ROOMS" --procs 2 --connect-rate 5000 --hold 2
done

echo "== shallow batches: fan-out with 32 and 8 messages in flight, chatd and redis interleaved ($PAIRS pairs)"
for window in 32 8; do
  for pair in $(seq "$PAIRS"); do
    for s in chatd redis; do
      run "$s" "\"part\": \"shallow\", \"window\": $window, \"pair\": $pair" fanout --clients 100 --rooms 1 --senders 1 \
        --rate 0 --size 64 --window "$window" --duration "$DUR" --warmup "$WARM" --procs "$PROCS"
    done
  done
done

python3 scripts/bench/idle-shallow-report.py "$RESULTS" "$OUT" --loadavg "$WORK/loadavg" --elapsed $((SECONDS - START)) \
  --quick "$QUICK"
echo "idle-shallow: done; raw results in $RESULTS"
