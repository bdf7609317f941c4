#!/usr/bin/env bash
# chatd-bench must not let a lossy, duplicating or reordering server pass (issue 10): run its
# fan-out against Tests/system/faulty_relay.py, once relaying faithfully (every count must be
# 0) and once with faults (lost, duplicates and out-of-order all > 0).
#   Tests/system/test-bench-truth.sh BIN_DIR
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: test-bench-truth.sh BIN_DIR}
if [[ ! -x $bin/chatd-bench ]]; then echo "FAIL bench-truth: no chatd-bench in $bin"; exit 1; fi
failed=0
relay_pid=

stop_relay() {
    [[ -n $relay_pid ]] && kill "$relay_pid" 2>/dev/null && wait "$relay_pid" 2>/dev/null
    relay_pid=
}
trap stop_relay EXIT

# check NAME RELAY_FLAGS PROCS PYTHON_CONDITION: one fan-out run with PROCS load-generator
# processes against a relay on a port it chose itself, its JSON judged by the condition.
check() {
    local name=$1 flags=$2 procs=$3 cond=$4 fifo port line
    fifo=$(mktemp -u) && mkfifo "$fifo"
    python3 "$here/faulty_relay.py" $flags > "$fifo" &
    relay_pid=$!
    # Wait (bounded) for "listening PORT".
    port=$(timeout 10 head -n1 "$fifo" | sed -n 's/^listening \([0-9][0-9]*\)$/\1/p')
    rm -f "$fifo"
    if [[ -z $port ]]; then
        echo "FAIL bench-truth $name: the relay did not start"; failed=1; stop_relay; return
    fi
    # --max-generator-cpu 1000: this checks the counting, not the run's validity, so a loaded
    # CI machine cannot fail it.
    line=$(timeout 60 "$bin/chatd-bench" fanout --port "$port" --clients 6 --senders 2 --rate 2000 \
        --duration 1.5 --warmup 0.3 --no-spread-sources --max-generator-cpu 1000 --procs "$procs" --json 2>/dev/null)
    stop_relay
    if python3 -c "import json,sys; r=json.loads(sys.argv[1]); sys.exit(0 if ($cond) else 1)" "$line" 2>/dev/null; then
        echo "PASS bench-truth $name"
    else
        echo "FAIL bench-truth $name: $line"; failed=1
    fi
}

faithful='r["sent"] > 1000 and r["lost"] == 0 and r["duplicates"] == 0 and r["out_of_order"] == 0 and r["expected"] == r["received"]'
faulty='r["lost"] > 0 and r["duplicates"] > 0 and r["out_of_order"] > 0 and r["unique"] == r["received"] - r["duplicates"]'
check faithful "" 1 "$faithful"
check faulty "--faults" 1 "$faulty"
# The same through two worker processes: their counts travel to the coordinator over pipes.
check "faithful, 2 processes" "" 2 "$faithful and r[\"procs\"] == 2 and len(r[\"bench_cpu_percent_per_proc\"]) == 2"
check "faulty, 2 processes" "--faults" 2 "$faulty"
exit $failed
