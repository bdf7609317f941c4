#!/usr/bin/env python3
"""What the Redis hop adds for recipients on the sender's own node (issue 15).

Starts a redis-server and two chatd processes on loopback: one standalone, one with --cluster.
On each, a sender and a receiver (framed, same node, same room); the sender sends N messages
one at a time (the next after the previous arrived), each carrying its send time, and the
receiver's arrival time gives the latency. Prints median, p90, p99 and max per mode.
Every process it starts is stopped by PID; bounded by --messages.
"""
import argparse
import shutil
import signal
import socket
import subprocess
import tempfile
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def frame(text):
    b = text.encode()
    return f"{len(b):<10}".encode() + b


class Conn:
    def __init__(self, port, name):
        deadline = time.monotonic() + 10
        while True:
            try:
                self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.s.sendall(frame(name))

    def frame(self):
        while len(self.buf) < 10:
            self.buf += self.s.recv(65536)
        n = int(self.buf[:10].decode().strip())
        while len(self.buf) < 10 + n:
            self.buf += self.s.recv(65536)
        payload, self.buf = self.buf[10:10 + n], self.buf[10 + n:]
        return payload.decode(errors="replace")

    def message(self, prefix):
        while True:
            sender = self.frame()
            text = self.frame()
            if text.startswith(prefix):
                return text


def measure(port, n):
    rx, tx = Conn(port, "rx"), Conn(port, "tx")
    # Both joined once a warm-up message arrives.
    for k in range(200):
        tx.s.sendall(frame(f"warm-{k}"))
        rx.s.settimeout(0.5)
        try:
            rx.message("warm-")
            break
        except socket.timeout:
            continue
    rx.s.settimeout(10)
    lat = []
    for k in range(n):
        t0 = time.perf_counter_ns()
        tx.s.sendall(frame(f"m-{k}"))
        while rx.message("m-") != f"m-{k}":
            pass
        lat.append((time.perf_counter_ns() - t0) / 1000)
    lat.sort()
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    return {"median": pick(0.5), "p90": pick(0.9), "p99": pick(0.99), "max": lat[-1]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--chatd", required=True)
    ap.add_argument("--messages", type=int, default=2000)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="chatd-hop-")
    procs = []
    try:
        rport = free_port()
        procs.append(subprocess.Popen(
            ["redis-server", "--port", str(rport), "--bind", "127.0.0.1", "--dir", work, "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        results = {}
        for mode in ("standalone", "cluster"):
            port = free_port()
            extra = ["--cluster", f"redis://127.0.0.1:{rport}"] if mode == "cluster" else ["--history-store", "memory"]
            p = subprocess.Popen([args.chatd, "--listen", f"127.0.0.1:{port}", "--threads", "2", "--msg-rate", "0", *extra],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(p)
            results[mode] = measure(port, args.messages)
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=10)
        print(f"{args.messages} messages, one in flight, sender and receiver on the same node (µs):")
        for mode, r in results.items():
            print(f"  {mode:<10} median {r['median']:8.0f}  p90 {r['p90']:8.0f}  p99 {r['p99']:8.0f}  max {r['max']:8.0f}")
        print(f"  added by the Redis hop at the median: {results['cluster']['median'] - results['standalone']['median']:.0f} µs")
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                p.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


main()
