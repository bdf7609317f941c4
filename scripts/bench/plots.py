#!/usr/bin/env python3
"""Draws the PNG plots of BENCHMARKS.md from one `make bench` run (matplotlib, Debian's
python3-matplotlib, installed by scripts/bench/setup.sh).

  plots.py RESULTS.jsonl WORK_DIR OUT_DIR

RESULTS.jsonl is the run's chatd-bench JSON (one object per run), WORK_DIR holds its latency
distributions (latency-LABEL.hgrm, HdrHistogram's percentile output in ms). Each plot is drawn
only from what the run measured, with the command and the run's date (the results file's
modification time) in its caption; a plot whose data the run lacks is not drawn. Prints the
names of the files written, one per line, for report.py to embed.

Plots: deliveries/s per server in the fan-out run; deliveries/s against the number of clients
and p99 latency against offered load, when the run swept them (run.sh's sweep scenarios);
the latency distribution (CDF, HdrHistogram's percentile axis) per server at 1,000 msg/s
offered; latency percentiles per server at that
load; memory per idle connection at the connection-count run.
"""
import datetime
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

NAMES = {
    "chatd": "chatd", "chatd-h50": "chatd --history 50", "chatd-t2": "chatd --threads 2", "chatd-irc": "chatd (IRC)",
    "chatd-ws": "chatd (WebSocket)", "seed": "seed (Python)", "nio": "NIOChatServer", "redis": "Redis pub/sub",
    "ngircd": "ngIRCd (IRC)", "node-ws": "Node ws (WebSocket)",
}
CHATD_COLOR, PEER_COLOR = "#1f77b4", "#9a9a9a"


def name(label):
    return NAMES.get(label, label)


def good(r):
    """A run that measured the server: valid, delivered everything exactly once, in order."""
    return (r.get("valid") and not r.get("failed") and r.get("lost", 0) == 0 and r.get("duplicates", 0) == 0
            and r.get("out_of_order", 0) == 0 and r.get("deliveries_per_s", 0) > 0)


def command(r):
    """The chatd-bench command line of a run, from what its JSON records."""
    keys = [("clients", "--clients"), ("rooms", "--rooms"), ("senders", "--senders"), ("rate", "--rate"),
            ("size", "--size"), ("procs", "--procs")]
    parts = [f"chatd-bench {r['scenario']}"]
    for key, flag in keys:
        if r.get(key) is not None:
            v = r[key]
            parts.append(f"{flag} {int(v) if float(v).is_integer() else v}")
    return " ".join(parts)


def caption(fig, text, run_date):
    fig.text(0.01, 0.01, f"make bench, {run_date}: {text}", fontsize=7, color="#555555", ha="left", va="bottom")


def save(fig, out_dir, filename, written):
    path = os.path.join(out_dir, filename)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    written.append(filename)


def bars(rows, value, xlabel, title, filename, out_dir, run_date, written, fmt="{:,.0f}"):
    rows = sorted(rows, key=value)
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(rows) + 1.6))
    values = [value(r) for r in rows]
    colors = [CHATD_COLOR if r["label"].startswith("chatd") else PEER_COLOR for r in rows]
    ax.barh([name(r["label"]) for r in rows], values, color=colors)
    for i, v in enumerate(values):
        ax.text(v, i, " " + fmt.format(v), va="center", fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=11)
    ax.set_xlim(0, max(values) * 1.18)
    caption(fig, command(rows[0]), run_date)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    save(fig, out_dir, filename, written)


def read_hgrm(path):
    """(latency ms, percentile) points of an HdrHistogram percentile distribution."""
    points = []
    try:
        for line in open(path):
            fields = line.split()
            if len(fields) >= 3 and not line.startswith("#"):
                try:
                    points.append((float(fields[0]), float(fields[1])))
                except ValueError:
                    continue  # the header line
    except OSError:
        return []
    return points


def main(results_path, work, out_dir):
    rows = [json.loads(l) for l in open(results_path) if l.strip()]
    run_date = datetime.date.fromtimestamp(os.path.getmtime(results_path)).isoformat()
    os.makedirs(out_dir, exist_ok=True)
    written = []

    fanout = [r for r in rows if r.get("scenario") == "fanout" and r.get("clients") == 100 and good(r)]
    if fanout:
        bars(fanout, lambda r: r["deliveries_per_s"], "deliveries per second (higher is better)",
             "Fan-out: 100 clients in 1 room, 1 sender, as fast as the server takes them",
             "fanout.png", out_dir, run_date, written)

    # Sweeps: the same scenario at several client counts / offered rates (run.sh's sweeps).
    sweep = [r for r in rows if r.get("scenario") == "fanout" and r.get("sweep") and good(r)]
    if len({r["clients"] for r in sweep}) > 1:
        fig, ax = plt.subplots(figsize=(9, 5))
        for label in sorted({r["label"] for r in sweep}):
            points = sorted((r["clients"], r["deliveries_per_s"]) for r in sweep if r["label"] == label)
            ax.plot(*zip(*points), marker="o", label=name(label), linewidth=2.5 if label.startswith("chatd") else 1.2)
        ax.set_xscale("log")
        ax.set_xlabel("clients in the room")
        ax.set_ylabel("deliveries per second")
        ax.set_title("Fan-out throughput against room size (1 sender, as fast as possible)", fontsize=11)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout(rect=(0, 0.05, 1, 1))
        caption(fig, command(sweep[0]).replace(f"--clients {sweep[0]['clients']}", "--clients N"), run_date)
        save(fig, out_dir, "fanout-clients.png", written)

    # Past its knee a server loses or refuses deliveries: those points are the story here, so
    # they are drawn (crossed out) as long as the generator kept its schedule and some arrived.
    knee = [r for r in rows if r.get("scenario") == "latency" and r.get("sweep") and r.get("valid")
            and not r.get("failed") and r.get("received", 0) > 0]
    if len({r["rate"] for r in knee}) > 1:
        fig, ax = plt.subplots(figsize=(9, 5))
        for label in sorted({r["label"] for r in knee}):
            runs = sorted((r for r in knee if r["label"] == label), key=lambda r: r["rate"])
            points = [(r["rate"] * (r["clients"] - 1), r["latency_us"]["p99"] / 1000) for r in runs]
            line, = ax.plot(*zip(*points), marker="o", label=name(label), linewidth=2.5 if label.startswith("chatd") else 1.2)
            lossy = [p for p, r in zip(points, runs) if not good(r)]
            if lossy:
                ax.plot(*zip(*lossy), linestyle="none", marker="x", markersize=12, color=line.get_color())
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("offered deliveries per second")
        ax.set_ylabel("p99 latency (ms)")
        ax.set_title("p99 latency against offered load: where each server saturates (x: deliveries lost)", fontsize=11)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout(rect=(0, 0.05, 1, 1))
        caption(fig, command(knee[0]).replace(f"--rate {int(knee[0]['rate'])}", "--rate R"), run_date)
        save(fig, out_dir, "latency-load.png", written)

    latency = [r for r in rows if r.get("scenario") == "latency" and r.get("rooms") == 1 and not r.get("sweep") and good(r)]
    curves = [(r, read_hgrm(os.path.join(work, f"latency-{r['label']}.hgrm"))) for r in latency]
    curves = [(r, c) for r, c in curves if len(c) > 2]
    if curves:
        # HdrHistogram's percentile plot: the x axis stretches the tail (1 / (1 − percentile),
        # log scale), where a plain CDF would squeeze p99 to p99.99 into its last pixels.
        fig, ax = plt.subplots(figsize=(9, 5))
        for r, points in curves:
            tail = [(1 / (1 - p), ms) for ms, p in points if p < 1]
            ax.plot([t for t, _ in tail], [ms for _, ms in tail], label=name(r["label"]),
                    linewidth=2.5 if r["label"].startswith("chatd") else 1.2)
        ticks = [1, 2, 10, 100, 1000, 10000, 100000]
        ax.set_xscale("log")
        ax.set_xticks(ticks, ["0%", "50%", "90%", "99%", "99.9%", "99.99%", "99.999%"])
        ax.set_xlim(1, max(t for _, c in curves for t in [1 / (1 - p) for _, p in c if p < 1]))
        ax.set_xlabel("percentile of deliveries")
        ax.set_ylabel("latency, send to receive (ms)")
        ax.set_title("Latency distribution: 1,000 clients, 1 room, 10 senders, 1,000 msg/s offered", fontsize=11)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=8, loc="upper left")
        caption(fig, command(curves[0][0]) + " --hgrm latency-LABEL.hgrm", run_date)
        fig.tight_layout(rect=(0, 0.05, 1, 1))
        save(fig, out_dir, "latency-cdf.png", written)

        fig, ax = plt.subplots(figsize=(9, 5))
        marks = [("p50", "p50"), ("p90", "p90"), ("p99", "p99"), ("p999", "p99.9")]
        width = 0.8 / len(latency)
        for i, r in enumerate(latency):
            xs = [j + i * width for j in range(len(marks))]
            ax.bar(xs, [r["latency_us"][k] / 1000 for k, _ in marks], width=width, label=name(r["label"]))
        ax.set_xticks([j + width * (len(latency) - 1) / 2 for j in range(len(marks))], [m for _, m in marks])
        ax.set_ylabel("latency (ms, lower is better)")
        ax.set_title("Latency percentiles at 1,000 msg/s offered (1,000 clients, 1 room)", fontsize=11)
        ax.legend(fontsize=8)
        ax.grid(True, axis="y", alpha=0.3)
        caption(fig, command(latency[0]), run_date)
        fig.tight_layout(rect=(0, 0.05, 1, 1))
        save(fig, out_dir, "latency-percentiles.png", written)

    memory = [r for r in rows if r.get("scenario") == "connections" and r.get("kb_per_connection") is not None
              and r.get("connected")]
    if memory:
        for r in memory:  # a server that did not take them all is measured at what it took
            if r["connected"] < r["clients"]:
                NAMES[r["label"]] = f"{name(r['label'])} ({r['connected']:,} connected)"
        bars(memory, lambda r: r["kb_per_connection"], "kB of server RSS per idle connection (lower is better)",
             f"Memory per connection: {memory[0]['clients']:,} idle greeted connections", "memory.png", out_dir,
             run_date, written, fmt="{:,.2f}")
    for f in written:
        print(f)


if __name__ == "__main__":
    main(*sys.argv[1:4])
