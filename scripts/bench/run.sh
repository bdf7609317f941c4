#!/usr/bin/env bash
# `make bench`: chatd against the seed's Python server, SwiftNIO's NIOChatServer,
# redis-server pub/sub, the ngIRCd IRC server and a Node.js `ws` broadcast server, same scenarios,
# same run; writes BENCHMARKS.md (tables as absolute numbers and ratios), then
# scripts/bench/tls-store.sh adds the TLS and history-store section. Everything on 127.0.0.1;
# every server is started here, fresh for each scenario, and stopped by its own PID. Bounded:
# about 15 minutes after the builds (3.5 of them the TLS/store section, 7 the sweeps that only
# the plots show: scripts/bench/plots.py draws them next to BENCHMARKS.md).
# The traffic scenarios run BENCH_PROCS load-generator processes (default 2) so that the
# generator is not the bottleneck; a run where it still is (or skipped sends) is kept in the
# results with "valid": false and marked in the report.
#
# Environment: BENCH_SCRATCH (swift build --scratch-path), BENCH_WORK (scratch outside the repo, default /tmp/chatd-bench-work),
# BENCH_QUICK=1 (1-second runs, for trying the script), BENCH_OUT (default BENCHMARKS.md),
# SEED_FILE (the seed's markdown; default ../shared/seed/000_0fc96f87f9e4f5f0.txt),
# BENCH_PEERS (the peers to measure chatd against; default "seed nio redis ngircd node-ws"),
# BENCH_ONLY (run only these rows, e.g. "chatd-ws node-ws", and skip the flush A/B: a partial
# run, for BENCH_OUT elsewhere).
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
WORK=${BENCH_WORK:-/tmp/chatd-bench-work}
OUT=${BENCH_OUT:-$REPO/BENCHMARKS.md}
QUICK=${BENCH_QUICK:-0}
NIO_TAG=2.101.3
mkdir -p "$WORK"
RESULTS=$WORK/results.jsonl
: > "$RESULTS"
LOG=$WORK/run.log
: > "$LOG"
cut -d" " -f1-3 /proc/loadavg > "$WORK/loadavg"
START=$SECONDS
PROCS=${BENCH_PROCS:-2}
PEERS=" ${BENCH_PEERS:-seed nio redis ngircd node-ws} "
# only NAME...: the names given that are chatd or an enabled peer (chatd-irc: when this chatd
# has an IRC listener, `--listen irc://HOST:PORT`).
ONLY=" ${BENCH_ONLY:-} "
only() {
    for n in "$@"; do
        [[ $ONLY == "  " || $ONLY == *" $n "* ]] || continue
        if [[ $n == chatd-irc ]]; then [[ $HAVE_IRC == 1 ]] && echo "$n"
        elif [[ $n == chatd* || $PEERS == *" $n "* ]]; then echo "$n"; fi
    done
}

if [[ $QUICK == 1 ]]; then DUR=1; WARM=0.5; CONNS=2000; else DUR=5; WARM=1; CONNS=19000; fi

./scripts/bench/setup.sh

echo "== building chatd and chatd-bench (release)"
SCRATCH=()
[[ -n ${BENCH_SCRATCH:-} ]] && SCRATCH=(--scratch-path "$BENCH_SCRATCH")
swift build "${SCRATCH[@]}" -c release --product chatd >>"$LOG" 2>&1
swift build "${SCRATCH[@]}" -c release --product chatd-bench >>"$LOG" 2>&1
swift build "${SCRATCH[@]}" -c release --product chatd-store-bench >>"$LOG" 2>&1
BIN=$(swift build "${SCRATCH[@]}" -c release --show-bin-path)
CHATD=$BIN/chatd
BENCH=$BIN/chatd-bench

if [[ $PEERS == *" nio "* ]]; then
    echo "== building NIOChatServer $NIO_TAG (release, in $WORK/nio, never committed)"
    if [[ ! -d $WORK/nio/.git ]]; then
        git clone -q /opt/swift-packages/apple/swift-nio.git "$WORK/nio" 2>>"$LOG" \
            || git clone -q https://github.com/apple/swift-nio "$WORK/nio"
    fi
    git -C "$WORK/nio" checkout -q "$NIO_TAG"
    (cd "$WORK/nio" && swift build -c release --product NIOChatServer >>"$LOG" 2>&1)
    NIO=$(cd "$WORK/nio" && swift build -c release --show-bin-path)/NIOChatServer
fi

echo "== extracting the seed's Python server (host and port patched, nothing else)"
SEED_FILE=${SEED_FILE:-}
for f in "$SEED_FILE" "$REPO/../shared/seed/000_0fc96f87f9e4f5f0.txt" /work/shared/seed/000_0fc96f87f9e4f5f0.txt; do
    [[ -n $f && -f $f ]] && { SEED_FILE=$f; break; }
done
HAVE_SEED=0
if [[ -f $SEED_FILE ]]; then
    awk '/^ *```python/{f=1;next} /^ *```/{if(f){exit}} f' "$SEED_FILE" > "$WORK/seed_orig.py"
    HAVE_SEED=1
fi

# One process per server, started here and stopped by PID only.
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

# start_server NAME PORT: sets PID.
start_server() {
    local name=$1 port=$2
    case $name in
    chatd) "$CHATD" --listen "127.0.0.1:$port" --threads 1 --msg-rate 0 --max-conns-per-ip 0 --history 0 >>"$LOG" 2>&1 & PID=$! ;;
    chatd-t2) "$CHATD" --listen "127.0.0.1:$port" --threads 2 --msg-rate 0 --max-conns-per-ip 0 --history 0 >>"$LOG" 2>&1 & PID=$! ;;
    # chatd's IRC listener (same daemon, IRC on the wire), measured against ngIRCd.
    chatd-irc) "$CHATD" --listen "irc://127.0.0.1:$port" --threads 1 --msg-rate 0 --max-conns-per-ip 0 --history 0 \
        >>"$LOG" 2>&1 & PID=$! ;;
    # chatd's http:// listener (WebSocket, chatd.v1), measured against Node's ws.
    chatd-ws) "$CHATD" --listen "http://127.0.0.1:$port" --web-root "$REPO/www" --threads 1 --msg-rate 0 \
        --max-conns-per-ip 0 --history 0 >>"$LOG" 2>&1 & PID=$! ;;
    node-ws) node "$REPO/scripts/bench/ws-peer.js" "$port" >>"$WORK/node-ws.log" 2>&1 & PID=$! ;;
    # chatd's default history (50 messages kept per room, replayed on join).
    chatd-h50) "$CHATD" --listen "127.0.0.1:$port" --threads 1 --msg-rate 0 --max-conns-per-ip 0 >>"$LOG" 2>&1 & PID=$! ;;
    seed)
        sed -e 's/^IP = .*/IP = "127.0.0.1"/' -e "s/^Port = .*/Port = $port/" "$WORK/seed_orig.py" > "$WORK/seed.py"
        python3 "$WORK/seed.py" >/dev/null 2>&1 & PID=$! ;;
    nio) "$NIO" 127.0.0.1 "$port" >/dev/null 2>&1 & PID=$! ;;
    redis) redis-server --port "$port" --bind 127.0.0.1 --protected-mode no --save '' --appendonly no \
        --maxclients 19990 --daemonize no --logfile "$WORK/redis.log" & PID=$! ;;
    ngircd) ngircd_conf "$port" > "$WORK/ngircd.conf"
        /usr/sbin/ngircd --nodaemon --config "$WORK/ngircd.conf" >>"$WORK/ngircd.log" 2>&1 & PID=$! ;;
    esac
    wait_port "$port"
}

adapter_of() {
    case $1 in nio) echo line ;; redis) echo resp ;; ngircd | chatd-irc) echo irc ;; node-ws | chatd-ws) echo ws ;; *) echo framed ;; esac
}

# ngIRCd listens with a backlog of 10 (src/ngircd/conn.c): at most 8 connections not yet
# greeted at once, or the overflow is dropped while the client believes it is connected.
connect_args_of() { case $1 in ngircd) echo --max-pending-connects 8 ;; esac; }

# ngIRCd's configuration (ngircd.conf(5)), loopback only. Changed from the defaults so that its
# limits are not what gets measured (chatd likewise runs with --msg-rate 0 --max-conns-per-ip 0):
# - MaxPenaltyTime -1 → 0: ngIRCd (src/ngircd/conn.c) throttles a client that leaves commands
#   unhandled after its per-pass limit (MAX_COMMANDS) or sends over 256 bytes/s by a 1-second
#   penalty (Throttle_Connection → Conn_SetPenalty); 0 makes that penalty 0 s. The per-pass
#   command limit itself is compiled in, not a setting.
# - MaxConnectionsIP 5 → 0 (unlimited); MaxConnections 0 and MaxJoins 0 (default 10): unlimited.
# - PingTimeout 120 → 600 s; DNS, Ident and PAM off, so registration waits on no lookup.
# Compiled-in, not configurable: a client whose unsent output would exceed 32 KiB
# (WRITEBUFFER_MAX_LEN) is disconnected ("Write buffer space exhausted"), which shows as loss
# and disconnects; the listen backlog is 10 (see connect_args_of).
ngircd_conf() {
    cat <<EOF
[Global]
Name = bench.irc
Info = chatd-bench peer
Listen = 127.0.0.1
Ports = $1
MotdPhrase = chatd-bench
[Limits]
MaxConnections = 0
MaxConnectionsIP = 0
MaxJoins = 0
MaxPenaltyTime = 0
PingTimeout = 600
[Options]
DNS = no
Ident = no
PAM = no
EOF
}

# run NAME SCENARIO ARGS...: one fresh server, one chatd-bench run, one JSON line. A run that
# chatd-bench judged invalid exits 1 but still prints its JSON ("valid": false): keep it. A
# server that died during the run gets "server_exited": true.
PORT=7610
SWEEP=0
run() {
    local name=$1 scenario=$2; shift 2
    PORT=$((PORT + 1))
    if ! start_server "$name" "$PORT"; then
        echo "   $name: did not start" | tee -a "$LOG"
        stop_server
        return
    fi
    printf '   %-9s %-12s %s\n' "$name" "$scenario" "$*"
    local line rc=0
    # shellcheck disable=SC2046 # connect_args_of prints whole words
    line=$(timeout 120 "$BENCH" "$scenario" --port "$PORT" --adapter "$(adapter_of "$name")" --server-pid "$PID" \
        --label "$name" --json $(connect_args_of "$name") "$@" 2>>"$LOG") || rc=$?
    if [[ $line == "{"* ]]; then
        kill -0 "$PID" 2>/dev/null || line="${line%\}}, \"server_exited\": true}"
        # Sweep runs feed the plots (scripts/bench/plots.py), not the tables.
        [[ $SWEEP == 1 ]] && line="${line%\}}, \"sweep\": true}"
        echo "$line" >> "$RESULTS"
        [[ $rc == 0 ]] || echo "   $name $scenario: invalid run (exit $rc), kept and marked" | tee -a "$LOG"
    else
        echo "   $name $scenario failed (exit $rc, see $LOG)" | tee -a "$LOG"
        echo "{\"label\": \"$name\", \"scenario\": \"$scenario\", \"failed\": true, \"args\": \"$*\"}" >> "$RESULTS"
    fi
    stop_server
    sleep 0.5
}

[[ $HAVE_SEED == 1 ]] || PEERS=${PEERS/ seed / }

# chatd-irc rows when this chatd serves IRC: it starts and accepts on an irc:// listener.
HAVE_IRC=0
PORT=$((PORT + 1))
if start_server chatd-irc "$PORT" 2>/dev/null; then HAVE_IRC=1; fi
stop_server
echo "== chatd's IRC listener: $([[ $HAVE_IRC == 1 ]] && echo "measured (chatd-irc rows)" || echo "not in this build, no chatd-irc rows")"

echo "== fanout: 100 clients, 1 room, 1 sender, as fast as possible ($PROCS generator processes)"
for s in $(only chatd chatd-h50 chatd-t2 chatd-irc chatd-ws seed nio redis ngircd node-ws); do
    run "$s" fanout --clients 100 --rooms 1 --senders 1 --rate 0 --size 64 --duration "$DUR" --warmup "$WARM" \
        --procs "$PROCS"
done

echo "== latency: 1,000 clients, 1 room, 10 senders, 1,000 msg/s offered ($PROCS generator processes)"
for s in $(only chatd chatd-h50 chatd-irc chatd-ws seed nio redis ngircd node-ws); do
    run "$s" latency --clients 1000 --rooms 1 --senders 10 --rate 1000 --size 64 --duration "$DUR" --warmup "$WARM" \
        --procs "$PROCS" --hgrm "$WORK/latency-$s.hgrm"
done

echo "== latency: 1,000 clients, 10 rooms, 10 senders, 1,000 msg/s offered (servers with rooms)"
for s in $(only chatd chatd-irc chatd-ws redis ngircd node-ws); do
    run "$s" latency --clients 1000 --rooms 10 --senders 10 --rate 1000 --size 64 --duration "$DUR" --warmup "$WARM" \
        --procs "$PROCS"
done

echo "== connections: $CONNS idle connections"
for s in $(only chatd nio redis); do
    run "$s" connections --clients "$CONNS" --procs 2 --connect-rate 5000 --hold 2
done

echo "== churn: 32 concurrent connect/greet/send/close cycles"
for s in $(only chatd nio redis); do
    run "$s" churn --concurrency 32 --duration "$DUR" --warmup "$WARM"
done

# Sweeps for the plots: fan-out throughput against room size (the knee where the generator or
# the server saturates), and p99 latency against offered load (where each server falls behind).
SWEEP=1
if [[ $QUICK == 1 ]]; then SIZES="10 100 1000"; RATES="500 2000"; else SIZES="10 100 1000 5000 19000"; RATES="250 1000 2000 4000 8000"; fi
echo "== sweep: fan-out throughput for $SIZES clients in 1 room"
for n in $SIZES; do
    for s in $(only chatd chatd-irc redis ngircd); do
        run "$s" fanout --clients "$n" --rooms 1 --senders 1 --rate 0 --size 64 --duration "$DUR" --warmup "$WARM" \
            --procs "$PROCS"
    done
done
echo "== sweep: latency at $RATES msg/s offered (1,000 clients, 1 room, 10 senders)"
for rate in $RATES; do
    for s in $(only chatd chatd-irc redis ngircd); do
        run "$s" latency --clients 1000 --rooms 1 --senders 10 --rate "$rate" --size 64 --duration "$DUR" \
            --warmup "$WARM" --procs "$PROCS"
    done
done
SWEEP=0

AB_PAIRS=3; [[ $QUICK == 1 ]] && AB_PAIRS=1
if [[ $ONLY == "  " ]]; then
    echo "== flush strategy A/B: writev by reference vs copying small frames ($AB_PAIRS pairs)"
    scripts/bench/ab-coalesce.sh "$AB_PAIRS" | tee "$WORK/ab-coalesce.log"
fi

# The plots sit next to the report; old ones go first, so a plot this run could not draw is
# not left over from another. Debian's python3 has Debian's matplotlib (setup.sh).
PLOTS=bench-plots
echo "== drawing $(dirname "$OUT")/$PLOTS/*.png"
rm -f "$(dirname "$OUT")/$PLOTS"/*.png
/usr/bin/python3 scripts/bench/plots.py "$RESULTS" "$WORK" "$(dirname "$OUT")/$PLOTS"

echo "== writing $OUT"
python3 scripts/bench/report.py "$RESULTS" "$OUT" --quick "$QUICK" --micro "${BENCH_MICRO_LOG:-$WORK/micro.log}" \
    --loadavg "$WORK/loadavg" --ab "$WORK/ab-coalesce.log" --elapsed $((SECONDS - START)) --fd-limit "$(ulimit -n)" \
    --plots "$PLOTS"
# TLS vs plaintext (chatd and Redis), SQLite vs memory history, READY=1 vs database size: its own
# section of $OUT (scripts/bench/tls-store.sh, about 3.5 minutes); in a BENCH_ONLY run only if
# BENCH_ONLY names tls-store.
if [[ $ONLY == "  " || $ONLY == *" tls-store "* ]]; then
    BIN=$BIN BENCH_WORK=$WORK BENCH_QUICK=$QUICK BENCH_PROCS=$PROCS scripts/bench/tls-store.sh "$OUT"
fi
# Issue 17: daemon RSS per idle connection for each protocol, and fan-out at shallow windows
# (32 and 8 in flight) interleaved with redis-server: its own section of $OUT
# (scripts/bench/idle-shallow.sh, about 3 minutes).
if [[ $ONLY == "  " || $ONLY == *" idle-shallow "* ]]; then
    BIN=$BIN BENCH_WORK=$WORK BENCH_QUICK=$QUICK BENCH_PROCS=$PROCS scripts/bench/idle-shallow.sh "$OUT"
fi
echo "bench: done; raw results in $RESULTS, latency distributions in $WORK/latency-*.hgrm"
