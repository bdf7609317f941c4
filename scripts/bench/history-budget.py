#!/usr/bin/env python3
"""Publish latency in one room while many other, occupied rooms fill the history budget.

Issue 10 asks that evicting history past --history-budget-bytes cost a publish no more than a
publish below the budget. This scenario starts chatd three times and measures, each time, the
latency of small messages between two clients of a room "probe" (one sends a monotonic
timestamp every --interval seconds, the other receives; same host, same clock):

  idle      the probe alone (no other traffic)
  below     --fillers clients, each alone in its own room, publish --filler-bytes messages at
            --filler-rate in total, with a budget large enough never to be reached
  full      the same traffic with --budget bytes, filled during the warm-up, so every filler
            publish evicts history (the path under test)

"below" and "full" differ only in whether the budget is full. Prints one table (p50, p99, max
latency in microseconds, probe messages, daemon RSS at the end) and, with --json, the same as
JSON. Python stdlib only.

  scripts/bench/history-budget.sh [--chatd PATH] [--fillers 200] [--seconds 10] ...
"""
import argparse
import json
import os
import selectors
import socket
import subprocess
import sys
import time


def frame(payload: bytes) -> bytes:
    return f"{len(payload):<10}".encode() + payload


class FrameReader:
    """Splits a byte stream into frames; chatd sends each message as sender frame + text frame."""

    def __init__(self):
        self.buf = bytearray()

    def feed(self, data: bytes):
        self.buf += data
        out = []
        while len(self.buf) >= 10:
            n = int(self.buf[:10].decode().strip())
            if len(self.buf) < 10 + n:
                break
            out.append(bytes(self.buf[10:10 + n]))
            del self.buf[:10 + n]
        return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def connect(port: int, name: str) -> socket.socket:
    deadline = time.monotonic() + 10
    while True:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall(frame(name.encode()))
    return s


def wait_for(sock: socket.socket, reader: FrameReader, predicate, timeout=10.0):
    """Reads frames until one satisfies predicate; fails after timeout (no bare sleeps)."""
    deadline = time.monotonic() + timeout
    sock.settimeout(0.2)
    while time.monotonic() < deadline:
        try:
            data = sock.recv(65536)
        except socket.timeout:
            continue
        if not data:
            raise RuntimeError("connection closed")
        for f in reader.feed(data):
            if predicate(f):
                return f
    raise RuntimeError("timed out waiting for the daemon")


def join(sock: socket.socket, room: str):
    sock.sendall(frame(f"/join {room}".encode()))
    wait_for(sock, FrameReader(), lambda f: f.startswith(f"you joined #{room}".encode()))


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def run_case(args, name: str, budget: int, fillers: int) -> dict:
    port = free_port()
    cmd = [args.chatd, "--listen", f"127.0.0.1:{port}", "--threads", str(args.threads), "--msg-rate", "0",
           "--max-conns-per-ip", "0", "--history", "50", "--history-budget-bytes", str(budget), "--log-level", "error"]
    daemon = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
    try:
        sender = connect(port, "probe-tx")
        receiver = connect(port, "probe-rx")
        join(sender, "probe")
        join(receiver, "probe")
        filler_socks = []
        for i in range(fillers):
            s = connect(port, f"fill{i}")
            join(s, f"fill{i}")
            s.setblocking(False)
            filler_socks.append(s)
        receiver.setblocking(False)

        sel = selectors.DefaultSelector()
        sel.register(receiver, selectors.EVENT_READ, "rx")
        for s in filler_socks:
            sel.register(s, selectors.EVENT_READ, "fill")
        rx = FrameReader()
        payload = frame(b"x" * args.filler_bytes)
        pending = {s: b"" for s in filler_socks}
        latencies = []
        start = time.monotonic()
        warmup_end = start + args.warmup
        end = warmup_end + args.seconds
        next_probe = start
        next_fill = start
        fill_gap = 1.0 / args.filler_rate if fillers else None
        turn = 0
        while True:
            now = time.monotonic()
            if now >= end:
                break
            if now >= next_probe:
                sender.sendall(frame(str(time.monotonic_ns()).encode()))
                next_probe += args.interval
            # Filler publishes, round-robin, at --filler-rate in total (catching up if late,
            # at most 64 per pass so the probe keeps its schedule).
            burst = 0
            while fillers and now >= next_fill and burst < 64:
                s = filler_socks[turn % fillers]
                turn += 1
                if not pending[s]:
                    pending[s] = payload
                try:
                    n = s.send(pending[s])
                    pending[s] = pending[s][n:]
                except BlockingIOError:
                    pass
                next_fill += fill_gap
                burst += 1
            for s, data in pending.items():
                if data:
                    try:
                        n = s.send(data)
                        pending[s] = data[n:]
                    except BlockingIOError:
                        pass
            timeout = max(0.0, min(next_probe, next_fill if fillers else next_probe) - time.monotonic())
            for key, _ in sel.select(timeout=min(timeout, 0.005)):
                try:
                    data = key.fileobj.recv(1 << 20)
                except BlockingIOError:
                    continue
                if not data:
                    raise RuntimeError("the daemon closed a connection")
                if key.data != "rx":
                    continue
                arrived = time.monotonic_ns()
                for f in rx.feed(data):
                    if f.isdigit() and time.monotonic() >= warmup_end:
                        latencies.append((arrived - int(f)) / 1000.0)
        return {
            "case": name,
            "budget_bytes": budget,
            "fillers": fillers,
            "probe_messages": len(latencies),
            "p50_us": round(percentile(latencies, 50), 1),
            "p99_us": round(percentile(latencies, 99), 1),
            "max_us": round(max(latencies) if latencies else float("nan"), 1),
            "rss_mib": round(rss_kib(daemon.pid) / 1024, 1),
            "filler_publishes": turn,
        }
    finally:
        daemon.terminate()
        try:
            daemon.wait(timeout=10)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--chatd", required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--fillers", type=int, default=200, help="occupied rooms publishing (default 200)")
    p.add_argument("--filler-bytes", type=int, default=60000)
    p.add_argument("--filler-rate", type=float, default=400, help="filler publishes per second, in total")
    p.add_argument("--budget", type=int, default=8 << 20, help="history budget of the 'full' case")
    p.add_argument("--interval", type=float, default=0.005, help="seconds between probe messages")
    p.add_argument("--warmup", type=float, default=3, help="seconds of traffic before measuring")
    p.add_argument("--seconds", type=float, default=10, help="seconds measured per case")
    p.add_argument("--json", help="also write the results here")
    args = p.parse_args()
    needed = args.warmup * args.filler_rate * args.filler_bytes
    if needed < 2 * args.budget:
        sys.exit(f"warm-up sends {needed:.0f} bytes; make it at least 2 x --budget so the budget is full")

    results = [
        run_case(args, "idle", 1 << 40, 0),
        run_case(args, "below", 1 << 40, args.fillers),
        run_case(args, "full", args.budget, args.fillers),
    ]
    print(f"{'case':<6} {'budget':>12} {'fillers':>7} {'probes':>6} {'p50 us':>8} {'p99 us':>8} {'max us':>9} {'RSS MiB':>8}")
    for r in results:
        print(f"{r['case']:<6} {r['budget_bytes']:>12} {r['fillers']:>7} {r['probe_messages']:>6} "
              f"{r['p50_us']:>8} {r['p99_us']:>8} {r['max_us']:>9} {r['rss_mib']:>8}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"command": sys.argv, "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
