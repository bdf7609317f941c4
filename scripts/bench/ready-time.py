#!/usr/bin/env python3
"""Time from exec to READY=1 of chatd over a history database of a given size (issue 14).

For each size: chatd-store-bench fills a fresh state directory's history.db with N messages
(200 bytes, 100 rooms), then chatd is started REPEAT times on it with NOTIFY_SOCKET pointing
at a datagram socket owned here (sd_notify(3)); the time is measured from just before exec to
the arrival of READY=1. One JSON line per size on stdout:
  {"events": N, "db_bytes": B, "ready_ms": [..], "ready_ms_median": M, "fill_s": F}

  ready-time.py --chatd BIN --store-bench BIN --work DIR [--events 0,100000,1000000] [--repeat 3]
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time


def ready_ms(chatd, state_dir, work, port):
    path = os.path.join(work, "notify.sock")
    if os.path.exists(path):
        os.unlink(path)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.settimeout(120)
    env = dict(os.environ, NOTIFY_SOCKET=path)
    env.pop("CHATD_HISTORY_STORE", None)
    t0 = time.monotonic()
    p = subprocess.Popen(
        [chatd, "--listen", f"127.0.0.1:{port}", "--threads", "1", "--history-store", "sqlite", "--state-dir", state_dir],
        env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "chatd-ready.log"), "ab"))
    try:
        while True:
            msg = s.recv(4096).decode(errors="replace")
            if "READY=1" in msg.split("\n"):
                return (time.monotonic() - t0) * 1000
    finally:
        p.terminate()
        p.wait(timeout=30)
        s.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--chatd", required=True)
    ap.add_argument("--store-bench", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--events", default="0,100000,1000000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--port", type=int, default=7690)
    a = ap.parse_args()
    for n in [int(x) for x in a.events.split(",")]:
        state = os.path.join(a.work, f"ready-state-{n}")
        shutil.rmtree(state, ignore_errors=True)
        os.makedirs(state)
        db = os.path.join(state, "history.db")
        # Filled in chunks the writer's queue holds whole (each run continues the rooms'
        # sequences), so nothing is dropped; what was stored is counted from the runs' reports.
        stored, t0 = 0, time.monotonic()
        while stored < n:
            chunk = min(500_000, n - stored)
            out = subprocess.run([a.store_bench, "throughput", "--path", db, "--events", str(chunk), "--rooms", "100",
                                  "--bytes", "200", "--queue", "1000000", "--queue-bytes", str(1 << 30)],
                                 check=True, capture_output=True, text=True).stdout
            r = json.loads(out)
            if r["dropped"] or not r["flushed"]:
                sys.exit(f"filling {db}: {r['dropped']} dropped, flushed {r['flushed']}")
            stored += chunk
        fill_s = time.monotonic() - t0
        times = [ready_ms(a.chatd, state, a.work, a.port) for _ in range(a.repeat)]
        size = sum(os.path.getsize(os.path.join(state, f)) for f in os.listdir(state) if f.startswith("history.db"))
        print(json.dumps({"events": n, "db_bytes": size, "ready_ms": [round(t, 1) for t in times],
                          "ready_ms_median": round(statistics.median(times), 1), "fill_s": round(fill_s, 1)}))
        sys.stdout.flush()
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
