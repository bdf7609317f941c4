#!/usr/bin/env python3
"""Past the per-process fd cap: several chatd nodes in cluster mode share one port (issue 15).

One process here may hold 20,000 descriptors, so one chatd tops out below that. This starts a
redis-server and NODES chatd processes on loopback, all listening on one shared port with
SO_REUSEPORT (the kernel spreads connections over them) and each also on a port of its own
and a metrics:// port. chatd-bench then opens CLIENTS greeted, idle framed connections to the
shared port (from sources spread over 127.0.0.0/8, in several processes) and holds them, while a
live room (#live: one sender on node 0, one receiver on every other node, each on its node's own
port) carries MESSAGES messages at 50/s: every one must reach every receiver, in order, and its
latency is recorded. Reported: connections held per node (from each node's /metrics), daemon RSS per
connection (all nodes summed, before vs after), Redis RSS, the connect rate, the live room's
latency, and the CPU of the load generator and of the daemons.

Everything it starts is stopped by PID; every wait has a deadline. Run it through
`make bench-100k` (it builds release binaries) or directly:
    scripts/bench/cluster-100k.py --chatd BIN/chatd --bench BIN/chatd-bench [--clients 100000]
"""
import argparse
import json
import math
import os
import re
import resource
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def frame(text):
    b = text.encode()
    return f"{len(b):<10}".encode() + b


def wait_until(what, deadline_s, probe, every=0.1):
    deadline = time.monotonic() + deadline_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"cluster-100k: {what} did not happen within {deadline_s} s")
        time.sleep(every)


class Client:
    """A framed client: the tutorial's 10-byte length header, username first."""

    def __init__(self, port, name):
        self.s = wait_until(f"connect to {port}", 10, lambda: self._connect(port))
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.s.sendall(frame(name))

    @staticmethod
    def _connect(port):
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=10)
        except OSError:
            return None

    def send(self, text):
        self.s.sendall(frame(text))

    def frames(self):
        """The complete frames buffered so far (reads what is available, never blocks)."""
        self.s.setblocking(False)
        try:
            while True:
                chunk = self.s.recv(1 << 16)
                if not chunk:
                    raise SystemExit("cluster-100k: a live-room client was disconnected")
                self.buf += chunk
        except BlockingIOError:
            pass
        finally:
            self.s.setblocking(True)
        out = []
        while len(self.buf) >= 10:
            n = int(self.buf[:10].decode().strip())
            if len(self.buf) < 10 + n:
                break
            out.append(self.buf[10:10 + n].decode(errors="replace"))
            self.buf = self.buf[10 + n:]
        return out


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def scrape(port):
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    except OSError:
        return None


def metric(body, series):
    m = re.search("^" + re.escape(series) + r" (\S+)$", body or "", re.M)
    return float(m.group(1)) if m else None


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, math.ceil(p / 100 * len(sorted_values)) - 1)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chatd", required=True)
    ap.add_argument("--bench", required=True)
    ap.add_argument("--clients", type=int, default=100_000)
    ap.add_argument("--nodes", type=int, default=0, help="default: one per 15,000 clients, at least 2")
    ap.add_argument("--procs", type=int, default=0, help="generator processes; default: one per 15,000 clients")
    ap.add_argument("--connect-rate", type=float, default=5000)
    ap.add_argument("--messages", type=int, default=200)
    ap.add_argument("--json", help="write the result here too")
    args = ap.parse_args()
    nodes = args.nodes or max(2, math.ceil(args.clients / 15_000))
    procs = args.procs or max(1, math.ceil(args.clients / 15_000))
    work = tempfile.mkdtemp(prefix="chatd-100k-")
    started = []

    def stop_all():
        for p in reversed(started):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in reversed(started):
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    try:
        redis_port = free_port()
        redis = subprocess.Popen(
            ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no", "--logfile", os.path.join(work, "redis.log")])
        started.append(redis)
        wait_until("redis PONG", 10, lambda: subprocess.run(
            ["redis-cli", "-p", str(redis_port), "ping"], capture_output=True, text=True).stdout.strip() == "PONG")

        shared = free_port()
        own = [free_port() for _ in range(nodes)]
        metrics = [free_port() for _ in range(nodes)]
        daemons = []
        for i in range(nodes):
            log = open(os.path.join(work, f"node{i}.log"), "w")
            p = subprocess.Popen(
                [args.chatd, "--listen", f"127.0.0.1:{shared}", "--listen", f"127.0.0.1:{own[i]}",
                 "--listen", f"metrics://127.0.0.1:{metrics[i]}", "--cluster", f"redis://127.0.0.1:{redis_port}",
                 "--node-name", f"node{i}", "--threads", "1", "--msg-rate", "0", "--max-conns-per-ip", "0",
                 "--history-store", "memory", "--state-dir", os.path.join(work, f"state{i}")],
                stdout=log, stderr=subprocess.STDOUT)
            started.append(p)
            daemons.append(p)
        for i in range(nodes):
            wait_until(f"node{i} /metrics", 20, lambda i=i: metric(scrape(metrics[i]), "chatd_cluster_link_up") == 1)

        live = [Client(own[i], f"live{i}") for i in range(nodes)]
        for c in live:
            c.send("/join #live")
        # Everyone is in #live once each receiver has seen the last one join (cluster presence
        # may or may not show other nodes' joins; a round of messages proves the room works).
        sender = live[0]
        rss_before = [rss_kb(p.pid) for p in daemons]
        redis_before = rss_kb(redis.pid)
        cpu_before = [cpu_seconds(p.pid) for p in daemons]
        redis_cpu_before = cpu_seconds(redis.pid)

        hold = 10 + args.clients / args.connect_rate
        gen_cmd = [args.bench, "connections", "--port", str(shared), "--clients", str(args.clients),
                   "--procs", str(procs), "--connect-rate", str(args.connect_rate), "--hold", str(hold), "--json"]
        t0 = time.monotonic()
        gen = subprocess.Popen(gen_cmd, stdout=subprocess.PIPE, stderr=open(os.path.join(work, "bench.err"), "w"), text=True)
        started.append(gen)

        def open_counts():
            return [metric(scrape(m), 'chatd_connections_open{protocol="framed"}') or 0 for m in metrics]

        counts = wait_until(f"{args.clients} connections held", 60 + 3 * args.clients / args.connect_rate,
                            lambda: (lambda c: c if sum(c) >= args.clients + nodes else None)(open_counts()), every=0.5)
        ramp = time.monotonic() - t0

        # The live room while every connection is held: MESSAGES messages at 50/s from node 0,
        # each to a receiver on every other node; a late one counts with its latency, one that
        # has not arrived 10 s after the last send is lost, and each receiver's order is checked.
        latencies = []
        arrived = [[] for _ in range(nodes)]
        receivers = [live[i].s for i in range(1, nodes)]
        by_socket = {live[i].s: i for i in range(1, nodes)}

        def collect(timeout):
            ready, _, _ = select.select(receivers, [], [], timeout)
            now = time.monotonic_ns()
            for s in ready:
                i = by_socket[s]
                for text in live[i].frames():
                    parts = text.split(" ")
                    if len(parts) == 3 and parts[0] == "live":
                        arrived[i].append(int(parts[1]))
                        latencies.append((now - int(parts[2])) / 1e6)

        next_send = time.monotonic()
        for n in range(args.messages):
            while time.monotonic() < next_send:
                collect(max(0.0, next_send - time.monotonic()))
            sender.send(f"live {n} {time.monotonic_ns()}")
            next_send += 0.02
        drain_until = time.monotonic() + 10
        while time.monotonic() < drain_until and any(len(arrived[i]) < args.messages for i in range(1, nodes)):
            collect(0.2)
        lost = sum(args.messages - len(set(arrived[i])) for i in range(1, nodes))
        out_of_order = sum(arrived[i] != sorted(arrived[i]) for i in range(1, nodes))
        scrapes = [scrape(m) for m in metrics]
        cluster = {k: sum(metric(b, f"chatd_cluster_{k}_total") or 0 for b in scrapes)
                   for k in ("published", "delivered", "refused", "recovered", "lost", "disconnects")}
        rss_after = [rss_kb(p.pid) for p in daemons]
        redis_after = rss_kb(redis.pid)
        counts = open_counts()
        cpu_after = [cpu_seconds(p.pid) for p in daemons]
        redis_cpu = cpu_seconds(redis.pid) - redis_cpu_before
        measured = time.monotonic() - t0
        alive = all(p.poll() is None for p in daemons)

        out, _ = gen.communicate(timeout=hold + 120)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        gen_result = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
        wall = time.monotonic() - t0
        latencies.sort()
        held = int(sum(counts)) - nodes
        result = {
            "clients": args.clients, "nodes": nodes, "generator_procs": procs,
            "held": held, "per_node": [int(c) for c in counts],
            "nodes_alive": alive,
            "connect_seconds": gen_result.get("connect_seconds"), "connects_per_s": gen_result.get("connects_per_s"),
            "connect_failures": gen_result.get("connect_failures"), "generator_disconnects": gen_result.get("disconnects"),
            "ramp_seconds": round(ramp, 1),
            "daemon_rss_mib": round(sum(rss_after) / 1024, 1),
            "daemon_kb_per_connection": round((sum(rss_after) - sum(rss_before)) / max(1, held), 3),
            "redis_rss_mib": round(redis_after / 1024, 1),
            "redis_kb_per_connection": round((redis_after - redis_before) / max(1, held), 3),
            "daemon_cpu_seconds": round(sum(cpu_after) - sum(cpu_before), 2),
            "redis_cpu_seconds": round(redis_cpu, 2),
            "measured_seconds": round(measured, 1),
            "generator_cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
            "wall_seconds": round(wall, 1),
            "cluster_counters": {k: int(v) for k, v in cluster.items()},
            "live_arrived_per_receiver": [len(arrived[i]) for i in range(1, nodes)],
            "live_messages": args.messages, "live_receivers": nodes - 1, "live_lost": lost, "live_receivers_out_of_order": out_of_order,
            "live_p50_ms": round(percentile(latencies, 50), 3), "live_p99_ms": round(percentile(latencies, 99), 3),
            "live_max_ms": round(latencies[-1], 3) if latencies else None,
            "loadavg": open("/proc/loadavg").read().split()[:3],
        }
        print(json.dumps(result))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(result, f, indent=2)
        ok = alive and held >= args.clients and lost == 0 and out_of_order == 0
        if not ok:
            print(f"cluster-100k: FAILED (held {held} of {args.clients}, lost {lost}, nodes alive {alive}); logs in {work}",
                  file=sys.stderr)
            return 1
        shutil.rmtree(work, ignore_errors=True)
        return 0
    finally:
        stop_all()


if __name__ == "__main__":
    sys.exit(main())
