#!/usr/bin/env bash
# Side by side, against one chatd: chatd-bench's fan-out figure with one and with two
# load-generator processes, and the independent C harness (scripts/bench/fanout-check.c, no
# code shared with chatd-bench). If chatd-bench measures the server, the figures agree.
# Usage: scripts/bench/harness-check.sh [CHATD_THREADS=2] [SECONDS=5] (release binaries in
# .build/release: `swift build -c release --product chatd --product chatd-bench`).
set -euo pipefail
cd "$(dirname "$0")/../.."
THREADS=${1:-2}
SECS=${2:-5}
BIN=.build/release
WORK=${BENCH_WORK:-/tmp/chatd-bench-work}
mkdir -p "$WORK"
cc -O2 -Wall -o "$WORK/fanout-check" scripts/bench/fanout-check.c
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
"$BIN/chatd" --listen "127.0.0.1:$port" --threads "$THREADS" --msg-rate 0 --max-conns-per-ip 0 --history 0 \
    --log-level warning &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done
echo "chatd --threads $THREADS (pid $pid), 100 clients, 1 sender, 64-byte messages, window 256, $SECS s; load $(cut -d' ' -f1-3 /proc/loadavg)"
cpu() { awk '{print $14+$15}' "/proc/$pid/stat"; }
bench() {
    local procs=$1 line
    line=$("$BIN/chatd-bench" fanout --port "$port" --clients 100 --senders 1 --duration "$SECS" --procs "$procs" \
        --server-pid "$pid" --json 2>/dev/null || true)
    python3 - "$line" "$procs" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
gen = " + ".join(f"{p:.0f} %" for p in r["bench_cpu_percent_per_proc"])
print(f"chatd-bench --procs {sys.argv[2]}: {r['deliveries_per_s']:,.0f} deliveries/s, lost {r['lost']}, "
      f"server CPU {r['server']['cpu_percent']:.0f} %, load-gen CPU {gen}, valid {r['valid']}")
PY
}
harness() {
    local c0 c1 out
    c0=$(cpu)
    out=$("$WORK/fanout-check" "$port" 100 "$SECS" 256)
    c1=$(cpu)
    # Server CPU over the harness's whole run (connect + 1 s warm-up + measured), as a share of that time.
    echo "fanout-check (C): $out, server CPU over its run $(( (c1 - c0) * 100 / $(getconf CLK_TCK) * 10 / (SECS * 10 + 13) )) %"
}
for _ in 1 2; do bench 1; bench 2; harness; done
