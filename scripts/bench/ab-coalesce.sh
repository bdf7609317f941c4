#!/usr/bin/env bash
# A/B of chatd's flush strategy: writev(2) of every queued frame by reference (CHATD_COALESCE_BELOW=0)
# against copying small frames into one buffer and write(2) (the default, 1024). Same scenario,
# alternating, N pairs: 100 clients, 1 room, 1 sender as fast as possible, chatd --threads 1.
# Prints deliveries/s and deliveries per CPU tick of the server (from /proc/PID/stat over 3 s).
# Usage: scripts/bench/ab-coalesce.sh [PAIRS] (release binaries in .build/release).
set -euo pipefail
cd "$(dirname "$0")/../.."
PAIRS=${1:-3}
BIN=.build/release
run() {
  local c=$1 port pid bp s1 s2 d
  port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  CHATD_COALESCE_BELOW=$c "$BIN/chatd" --listen 127.0.0.1:$port --threads 1 --msg-rate 0 \
    --max-conns-per-ip 0 --history 0 --log-level warning &
  pid=$!
  sleep 0.3
  timeout 60 "$BIN/chatd-bench" fanout --port "$port" --clients 100 --rooms 1 --senders 1 --rate 0 \
    --duration 6 --warmup 1 --threads 2 --window 2048 > /tmp/ab-coalesce.$$ 2>&1 &
  bp=$!
  sleep 3; s1=$(awk '{print $14+$15}' /proc/$pid/stat)
  sleep 3; s2=$(awk '{print $14+$15}' /proc/$pid/stat)
  wait $bp || true
  d=$(awk '/^deliveries/{print $2}' /tmp/ab-coalesce.$$)
  d=${d%/s}
  echo "coalesce_below=$c deliveries/s=$d deliveries_per_cpu_tick=$(( d * 3 / (s2 - s1) ))"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -f /tmp/ab-coalesce.$$
}
for _ in $(seq "$PAIRS"); do run 0; run 1024; done
