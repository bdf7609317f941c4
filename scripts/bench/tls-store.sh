#!/usr/bin/env bash
# TLS and history-store costs in one run (issues 12 and 14); `make bench` runs it after the main
# tables. Writes the "TLS and the history store" section of BENCHMARKS.md (between its markers),
# every figure from this run:
#   - fan-out and latency, chatd framed plaintext vs framed+tls://, and redis-server pub/sub
#     plaintext vs its own --tls-port, same scenarios, generator CPU shown;
#   - fan-out and latency with the default --history 50, history store memory vs sqlite;
#   - the store's own write throughput and batch sizes (chatd-store-bench throughput);
#   - time from exec to READY=1 vs history database size (scripts/bench/ready-time.py).
# Every server is started here, fresh for each run, and stopped by its own PID.
#
#   scripts/bench/tls-store.sh [OUT.md]        (default BENCHMARKS.md)
# Environment: BIN (release bin dir with chatd, chatd-bench, chatd-store-bench; built if unset),
# BENCH_WORK (default /tmp/chatd-bench-work), BENCH_QUICK=1 (1-second runs, small databases),
# BENCH_PROCS (generator processes, default 2), READY_EVENTS (database sizes in messages).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-BENCHMARKS.md}
WORK=${BENCH_WORK:-/tmp/chatd-bench-work}/tls-store
QUICK=${BENCH_QUICK:-0}
PROCS=${BENCH_PROCS:-2}
mkdir -p "$WORK"
RESULTS=$WORK/results.jsonl READY=$WORK/ready.jsonl WRITES=$WORK/writes.jsonl LOG=$WORK/run.log
: >"$RESULTS"; : >"$READY"; : >"$WRITES"; : >"$LOG"
cut -d" " -f1-3 /proc/loadavg >"$WORK/loadavg"
START=$SECONDS
if [[ $QUICK == 1 ]]; then DUR=1; WARM=0.5; EVENTS=${READY_EVENTS:-0,100000}; REPEAT=1; WRITE_EVENTS=50000
else DUR=5; WARM=1; EVENTS=${READY_EVENTS:-0,100000,1000000,4000000}; REPEAT=3; WRITE_EVENTS=500000; fi

if [[ -z ${BIN:-} ]]; then
  echo "== building chatd, chatd-bench, chatd-store-bench (release)"
  for p in chatd chatd-bench chatd-store-bench; do swift build -c release --product "$p" >>"$LOG" 2>&1; done
  BIN=$(swift build -c release --show-bin-path)
fi
for p in chatd chatd-bench chatd-store-bench; do [[ -x $BIN/$p ]] || { echo "missing $BIN/$p" >&2; exit 1; }; done

# One self-signed certificate for chatd and redis (the generator does not verify: loopback).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>>"$LOG"

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

CHATD_ARGS=(--threads 1 --msg-rate 0 --max-conns-per-ip 0)
start_server() { # NAME PORT
  local name=$1 port=$2 state=$WORK/state-$2
  case $name in
  chatd) "$BIN/chatd" --listen "127.0.0.1:$port" "${CHATD_ARGS[@]}" --history 0 --history-store memory >>"$LOG" 2>&1 & PID=$! ;;
  chatd-tls) "$BIN/chatd" --listen "framed+tls://127.0.0.1:$port" --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem" \
      "${CHATD_ARGS[@]}" --history 0 --history-store memory >>"$LOG" 2>&1 & PID=$! ;;
  chatd-memory) "$BIN/chatd" --listen "127.0.0.1:$port" "${CHATD_ARGS[@]}" --history-store memory >>"$LOG" 2>&1 & PID=$! ;;
  chatd-sqlite) rm -rf "$state"
      "$BIN/chatd" --listen "127.0.0.1:$port" "${CHATD_ARGS[@]}" --history-store sqlite --state-dir "$state" >>"$LOG" 2>&1 & PID=$! ;;
  redis | redis-tls)
      local listen=(--port "$port")
      [[ $name == redis-tls ]] && listen=(--port 0 --tls-port "$port" --tls-cert-file "$WORK/cert.pem" \
          --tls-key-file "$WORK/key.pem" --tls-auth-clients no)
      redis-server "${listen[@]}" --bind 127.0.0.1 --protected-mode no --save '' --appendonly no --maxclients 19990 \
        --daemonize no --logfile "$WORK/redis.log" & PID=$! ;;
  esac
  wait_port "$port"
}
adapter_of() { case $1 in redis*) echo resp ;; *) echo framed ;; esac; }
tls_of() { case $1 in *-tls) echo --tls ;; esac; }

PORT=7650
run() { # NAME SCENARIO ARGS...
  local name=$1 scenario=$2; shift 2
  PORT=$((PORT + 1))
  if ! start_server "$name" "$PORT"; then echo "   $name: did not start" | tee -a "$LOG"; stop_server; return; fi
  printf '   %-13s %-8s %s\n' "$name" "$scenario" "$*"
  local line rc=0
  # shellcheck disable=SC2046 # tls_of prints a whole word or nothing
  line=$(timeout 120 "$BIN/chatd-bench" "$scenario" --port "$PORT" --adapter "$(adapter_of "$name")" $(tls_of "$name") \
    --server-pid "$PID" --label "$name" --json "$@" 2>>"$LOG") || rc=$?
  if [[ $line == "{"* ]]; then
    kill -0 "$PID" 2>/dev/null || line="${line%\}}, \"server_exited\": true}"
    echo "$line" >>"$RESULTS"
    [[ $rc == 0 ]] || echo "   $name $scenario: invalid run (exit $rc), kept and marked" | tee -a "$LOG"
  else
    echo "   $name $scenario failed (exit $rc, see $LOG)" | tee -a "$LOG"
    echo "{\"label\": \"$name\", \"scenario\": \"$scenario\", \"failed\": true}" >>"$RESULTS"
  fi
  stop_server
  sleep 0.5
}

FANOUT=(--clients 100 --rooms 1 --senders 1 --rate 0 --size 64 --duration "$DUR" --warmup "$WARM" --procs "$PROCS")
LATENCY=(--clients 1000 --rooms 1 --senders 10 --rate 1000 --size 64 --duration "$DUR" --warmup "$WARM" --procs "$PROCS")
echo "== TLS: fan-out and latency, plaintext vs TLS ($PROCS generator processes)"
for s in chatd chatd-tls redis redis-tls; do run "$s" fanout "${FANOUT[@]}"; done
for s in chatd chatd-tls redis redis-tls; do run "$s" latency "${LATENCY[@]}"; done
echo "== history store: --history 50 in memory vs SQLite"
for s in chatd-memory chatd-sqlite; do run "$s" fanout "${FANOUT[@]}"; done
for s in chatd-memory chatd-sqlite; do run "$s" latency "${LATENCY[@]}"; done
echo "== store write throughput: $WRITE_EVENTS appends from one thread, commit every 50 ms"
for rooms in 1 100; do
  rm -f "$WORK/writes.db" "$WORK/writes.db-wal" "$WORK/writes.db-shm"
  "$BIN/chatd-store-bench" throughput --path "$WORK/writes.db" --events "$WRITE_EVENTS" --rooms "$rooms" --bytes 64 \
    --queue 1000000 --queue-bytes $((1 << 30)) | tee -a "$WRITES"
done
rm -f "$WORK/writes.db" "$WORK/writes.db-wal" "$WORK/writes.db-shm"
echo "== READY=1 vs history database size ($EVENTS messages)"
python3 scripts/bench/ready-time.py --chatd "$BIN/chatd" --store-bench "$BIN/chatd-store-bench" --work "$WORK" \
  --events "$EVENTS" --repeat "$REPEAT" | tee -a "$READY"

echo "== writing the TLS and history store section of $OUT"
python3 scripts/bench/tls-store-report.py "$RESULTS" "$READY" "$OUT" --writes "$WRITES" --loadavg "$WORK/loadavg" \
  --elapsed $((SECONDS - START)) --quick "$QUICK"
echo "tls-store: done; raw results in $RESULTS and $READY"
