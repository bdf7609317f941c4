#!/usr/bin/env python3
"""Metrics suite (issue 16): a real chatd, a real Prometheus, Prometheus's own parsers.

  metrics_check.py BIN_DIR        (run by test-metrics.sh with Debian's /usr/bin/python3)

1. chatd with framed, IRC and metrics listeners on loopback; Prometheus (Debian's server, its
   own temp data dir, a free loopback port) scraping it every second with the packaged alerting
   rules loaded.
2. Every metric documented in docs/METRICS.md is in /metrics with the documented type, parsed
   by prometheus_client's text parser (an independent implementation of the format).
3. Scripted chat moves the counters by exactly what it did: logins, a bad username, a burst
   over the rate limit, 30 messages to two listeners, an IRC client that quits, a client that
   never reads (slow consumer).
4. Prometheus says up{job="chatd"} == 1 and its chatd_deliveries_total equals what the test
   counted; its rules API shows the packaged rules loaded and healthy; every query of the
   packaged Grafana dashboard is accepted by its query API.
5. promtool checks and unit-tests the packaged rules.

Prints PASS/FAIL per check and exits 1 on any failure. Every wait has a deadline.
"""
import atexit
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
RULES = os.path.join(REPO, "packaging", "prometheus", "chatd-alerts.yml")
RULE_TESTS = os.path.join(REPO, "packaging", "prometheus", "chatd-alerts.test.yml")
DASHBOARD = os.path.join(REPO, "packaging", "grafana", "chatd-dashboard.json")
DOC = os.path.join(REPO, "docs", "METRICS.md")

failures = []
processes = []


def check(ok, label, detail=""):
    print(f"{'PASS' if ok else 'FAIL'} {label}{': ' + str(detail) if detail != '' else ''}", flush=True)
    if not ok:
        failures.append(label)
    return ok


def stop_all():
    for p in processes:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in processes:
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()


atexit.register(stop_all)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))


def wait_until(what, condition, timeout=10.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout} s")
        time.sleep(interval)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.headers, r.read().decode()


# ------------------------------------------------------------------------------ chat clients

def frame(payload):
    payload = payload.encode() if isinstance(payload, str) else payload
    return f"{len(payload):<10}".encode() + payload


class Framed:
    def __init__(self, port, name, rcvbuf=None):
        self.sock = socket.socket()
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(10)
        self.sock.connect(("127.0.0.1", port))
        self.buf = b""
        self.sock.sendall(frame(name))

    def send(self, text):
        self.sock.sendall(frame(text))

    def frame(self):
        while True:
            if len(self.buf) >= 10:
                n = int(self.buf[:10].decode().strip())
                if len(self.buf) >= 10 + n:
                    payload, self.buf = self.buf[10:10 + n], self.buf[10 + n:]
                    return payload.decode(errors="replace")
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk

    def message(self):
        """The next (sender, text) pair (notices are sender '*')."""
        sender = self.frame()
        text = self.frame()
        return None if sender is None or text is None else (sender, text)

    def until(self, sender, text=None):
        """Reads until a message from `sender` (with `text`); the messages read on the way."""
        seen = []
        while True:
            m = self.message()
            if m is None:
                raise EOFError(f"closed while waiting for {sender}: {text}; got {seen}")
            seen.append(m)
            if m[0] == sender and (text is None or (text(m[1]) if callable(text) else m[1] == text)):
                return seen

    def closed(self, timeout=10):
        self.sock.settimeout(timeout)
        try:
            while self.sock.recv(65536):
                pass
            return True
        except (ConnectionResetError, socket.timeout) as e:
            return isinstance(e, ConnectionResetError)

    def close(self):
        self.sock.close()


# ------------------------------------------------------------------------------ /metrics

class Scrape:
    def __init__(self, port):
        status, headers, body = http_get(f"http://127.0.0.1:{port}/metrics")
        self.status, self.content_type, self.text = status, headers.get("Content-Type"), body
        self.families = {f.name: f for f in text_string_to_metric_families(body)}
        self.samples = {}
        for family in self.families.values():
            for s in family.samples:
                self.samples[(s.name, tuple(sorted(s.labels.items())))] = s.value

    def value(self, name, **labels):
        return self.samples.get((name, tuple(sorted(labels.items()))))

    def total(self, name, **labels):
        """Sum over the series of `name` whose labels include `labels`."""
        want = set(labels.items())
        return sum(v for (n, ls), v in self.samples.items() if n == name and want <= set(ls))


def documented_metrics():
    """(name, type) of every row of the table in docs/METRICS.md."""
    rows = []
    for line in open(DOC, encoding="utf-8"):
        m = re.match(r"\| `([a-z_]+)` \| (counter|gauge|histogram|summary)", line)
        if m:
            rows.append((m.group(1), m.group(2)))
    return rows


# ------------------------------------------------------------------------------ the suite

def main(bin_dir):
    work = tempfile.mkdtemp(prefix="chatd-metrics-")
    # Kept for a look when something failed (the logs of both servers are in it).
    atexit.register(lambda: failures or shutil.rmtree(work, ignore_errors=True))
    # Any free ports: chatd reports what it bound in its start line.
    chatd_log = open(os.path.join(work, "chatd.log"), "w+")
    chatd = subprocess.Popen(
        [os.path.join(bin_dir, "chatd"), "--threads", "2", "--history-store", "sqlite", "--state-dir", f"{work}/state",
         "--history-commit-ms", "10", "--log-level", "info",
         "--listen", "127.0.0.1:0", "--listen", "irc://127.0.0.1:0", "--listen", "metrics://127.0.0.1:0",
         "--msg-rate", "1000", "--msg-burst", "5", "--max-message-bytes", "2048",
         "--queue-soft-bytes", "4160", "--queue-soft-seconds", "0", "--queue-hard-bytes", "8192"],
        stdout=subprocess.DEVNULL, stderr=chatd_log, stdin=subprocess.DEVNULL)
    processes.append(chatd)

    def listen_line():
        chatd_log.seek(0)
        return re.search(r'chat\.listen="([^"]*)"', chatd_log.read())
    ports = {}
    for address in wait_until("chatd start line", listen_line).group(1).split():
        scheme, port = re.match(r"([a-z+]+)://127\.0\.0\.1:(\d+)", address).groups()
        ports[scheme] = int(port)
    chat, irc, metrics = ports["framed"], ports["irc"], ports["metrics"]
    print(f"     chatd pid {chatd.pid}: framed {chat}, irc {irc}, metrics {metrics}", flush=True)

    # Prometheus: its own data dir and port, 1 s scrapes, the packaged rules.
    prom_port = free_port()
    config = os.path.join(work, "prometheus.yml")
    with open(config, "w") as f:
        f.write(f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - {RULES}
scrape_configs:
  - job_name: chatd
    static_configs:
      - targets: ["127.0.0.1:{metrics}"]
""")
    check(subprocess.run(["promtool", "check", "config", config], capture_output=True).returncode == 0,
          "promtool check config (scrape job + packaged rules)")
    prom_log = open(os.path.join(work, "prometheus.log"), "w")
    prometheus = subprocess.Popen(
        ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={work}/tsdb",
         f"--web.listen-address=127.0.0.1:{prom_port}", "--log.level=warn"],
        stdout=prom_log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    processes.append(prometheus)
    prom = f"http://127.0.0.1:{prom_port}"

    # --- every documented metric, with its type, parsed by prometheus_client ---------------
    first = Scrape(metrics)
    check(first.status == 200 and first.content_type == "text/plain; version=0.0.4; charset=utf-8",
          "GET /metrics: 200, text format 0.0.4", first.content_type)
    # This daemon runs without --cluster: the cluster's metrics are checked by test-cluster.sh.
    documented = [(n, k) for n, k in documented_metrics() if not n.startswith("chatd_cluster_")]
    check(len(documented) >= 25, "docs/METRICS.md documents the metrics", f"{len(documented)} rows")
    for name, kind in documented:
        # The parser names a counter family without its _total suffix.
        family = first.families.get(name[:-len("_total")] if kind == "counter" else name)
        check(family is not None and family.type == kind, f"{name} is a {kind}",
              "missing" if family is None else f"type {family.type}")
    served = {f.name + ("_total" if f.type == "counter" else "") for f in first.families.values()}
    check(served == {n for n, _ in documented}, "every served metric is documented",
          sorted(served ^ {n for n, _ in documented}))

    # --- scripted chat ------------------------------------------------------------------------
    def logged_in(n):  # chatd_users: each login done before the next, so who sees whom is fixed
        wait_until(f"{n} users", lambda: Scrape(metrics).value("chatd_users") == n)
    alice = Framed(chat, "alice")
    logged_in(1)
    bob = Framed(chat, "bob")
    alice.until("*", "bob joined #lobby")
    logged_in(2)
    carol = Framed(chat, "carol")
    alice.until("*", "carol joined #lobby")
    bob.until("*", "carol joined #lobby")
    bad = Framed(chat, "not a valid name!")
    check(bad.closed(), "a bad username is closed")
    # The deliveries so far: alice saw bob and carol join, bob saw carol.
    s0 = wait_until("3 open, 1 protocol error", lambda: (lambda s: s if s.value(
        "chatd_connections_closed_total", protocol="framed", reason="protocol_error") == 1 else None)(Scrape(metrics)))
    check(s0.value("chatd_deliveries_total") == 3, "deliveries: 3 join notices", s0.value("chatd_deliveries_total"))
    check(s0.value("chatd_connections_open", protocol="framed") == 3, "3 framed connections open")
    check(s0.value("chatd_connections_accepted_total", protocol="framed") == 4, "4 framed connections accepted")
    check(s0.value("chatd_handshake_failures_total", kind="protocol") == 1, "1 handshake failure (protocol)")
    check(s0.value("chatd_users") == 3 and s0.value("chatd_rooms") == 1 and s0.value("chatd_room_members") == 3,
          "3 users, 1 room, 3 members", (s0.value("chatd_users"), s0.value("chatd_rooms"), s0.value("chatd_room_members")))

    # 30 messages at once: over the burst of 5, so reading pauses; nothing is dropped.
    for i in range(30):
        alice.send(f"message {i}")
    got = {}
    for name, client in (("bob", bob), ("carol", carol)):
        got[name] = [m for m in client.until("alice", "message 29") if m[0] == "alice"]
    received = sum(len(v) for v in got.values())
    check(received == 60, "bob and carol got all 30 messages", received)
    s1 = wait_until("60 more deliveries", lambda: (lambda s: s if s.value("chatd_deliveries_total") >= 63 else None)(Scrape(metrics)))
    deliveries = s1.value("chatd_deliveries_total")
    check(deliveries == 3 + received, "chatd_deliveries_total = the deliveries the clients counted", deliveries)
    check(s1.value("chatd_messages_received_total") - s0.value("chatd_messages_received_total") == 30,
          "30 more messages received")
    check(s1.value("chatd_rate_limit_pauses_total") > 0, "a burst over --msg-burst pauses reading",
          s1.value("chatd_rate_limit_pauses_total"))
    check(s1.value("chatd_received_bytes_total", protocol="framed") - s0.value("chatd_received_bytes_total", protocol="framed")
          == sum(len(frame(f"message {i}")) for i in range(30)), "received bytes = the frames alice sent")
    check(s1.value("chatd_sent_bytes_total", protocol="framed") - s0.value("chatd_sent_bytes_total", protocol="framed")
          == 2 * sum(len(frame("alice")) + len(frame(f"message {i}")) for i in range(30)),
          "sent bytes = the frames bob and carol got")
    check(s1.value("chatd_history_bytes") > s0.value("chatd_history_bytes"), "history bytes grow")
    committed = wait_until("30 events committed", lambda: (lambda v: v if v >= 30 else None)(
        Scrape(metrics).value("chatd_store_events_committed_total")))
    check(committed == 30, "the store committed the 30 messages (SQLite)", committed)
    check(s1.total("chatd_loop_tick_seconds_count") > s0.total("chatd_loop_tick_seconds_count"), "loops tick")
    check(s1.total("chatd_loop_tick_seconds_bucket", le="+Inf") == s1.total("chatd_loop_tick_seconds_count"),
          "tick histogram: +Inf bucket = count")
    # 30 messages in one room: at least 3 are stamped (1 sequence in 8); each loop that
    # delivered one observes at most once per tick: some observations, far fewer than deliveries.
    flushes = s1.total("chatd_publish_flush_seconds_count")
    check(1 <= flushes <= deliveries / 4, "publish-to-flush latency sampled (1 message in 8)", flushes)
    check(s1.total("chatd_publish_flush_seconds_bucket", le="+Inf") == flushes and s1.total("chatd_publish_flush_seconds_sum") > 0,
          "publish-to-flush histogram: +Inf bucket = count, sum > 0")
    process_ok = (s1.value("process_cpu_seconds_total") > 0 and s1.value("process_resident_memory_bytes") > 1e6
                  and 5 < s1.value("process_open_fds") < s1.value("process_max_fds")
                  and abs(s1.value("process_start_time_seconds") - time.time()) < 120)
    check(process_ok, "process metrics are the process's",
          {k: s1.value(k) for k in ("process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds",
                                     "process_max_fds", "process_start_time_seconds")})

    # --- Prometheus agrees ------------------------------------------------------------------
    def query(expr):
        status, _, body = http_get(f"{prom}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
        return json.loads(body)

    def scalar(expr):
        try:
            result = query(expr)["data"]["result"]
        except OSError:
            return None  # not up yet
        return float(result[0]["value"][1]) if result else None
    try:
        wait_until("Prometheus ready", lambda: scalar("vector(1)") == 1, timeout=30, interval=0.2)
        wait_until("up{job=chatd} == 1", lambda: scalar('up{job="chatd"}') == 1, timeout=20, interval=0.2)
        check(True, 'Prometheus: up{job="chatd"} == 1')
        wait_until("Prometheus sees the deliveries", lambda: scalar('chatd_deliveries_total{job="chatd"}') == deliveries,
                   timeout=20, interval=0.2)
        check(True, "Prometheus: chatd_deliveries_total == the deliveries the test made", deliveries)
    except TimeoutError as e:
        up, seen = scalar('up{job="chatd"}'), scalar("chatd_deliveries_total")
        check(False, "Prometheus scrapes chatd", f"{e}; last: up={up}, deliveries={seen}")
    rules = json.loads(http_get(f"{prom}/api/v1/rules")[2])["data"]["groups"]
    loaded = [(r["name"], r["health"]) for g in rules for r in g["rules"]]
    check(len(loaded) == 6 and all(h in ("ok", "unknown") for _, h in loaded), "Prometheus loaded the 6 packaged alerting rules", loaded)
    dashboard = json.load(open(DASHBOARD))
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    for expr in exprs:
        concrete = expr.replace("$__rate_interval", "1m").replace("$instance", ".*")
        answer = query(concrete)
        check(answer.get("status") == "success", f"dashboard query accepted: {expr[:70]}", answer.get("error", ""))
    try:  # a rate needs two scrapes in its window
        wait_until("deliveries/s", lambda: scalar("sum(rate(chatd_deliveries_total[1m]))") is not None, timeout=10)
        check(True, "dashboard: deliveries/s has data")
    except TimeoutError as e:
        check(False, "dashboard: deliveries/s has data", e)

    # --- IRC: a client that registers and quits -------------------------------------------------
    with socket.create_connection(("127.0.0.1", irc), timeout=10) as s:
        s.sendall(b"NICK dave\r\nUSER dave 0 * :Dave\r\n")
        data = b""
        while b" 001 " not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.sendall(b"QUIT :bye\r\n")
        while s.recv(65536):
            pass
    s2 = wait_until("irc quit counted", lambda: (lambda s: s if s.value(
        "chatd_connections_closed_total", protocol="irc", reason="quit") == 1 else None)(Scrape(metrics)))
    check(s2.value("chatd_connections_accepted_total", protocol="irc") == 1 and s2.value("chatd_connections_open", protocol="irc") == 0,
          "irc: 1 accepted, closed for quit, 0 open")

    # --- a slow consumer: joins a room of its own and never reads --------------------------------
    slow = Framed(chat, "slowpoke", rcvbuf=4096)
    slow.send("/join slowroom")
    slow.until("*", lambda t: t.startswith("you joined #slowroom"))  # a member before the flood starts
    flood = Framed(chat, "flooder")
    flood.send("/join slowroom")
    flood.until("*", lambda t: t.startswith("you joined #slowroom"))
    text = "x" * 2000
    for _ in range(400):  # 800 KB for a reader that takes none: past --queue-hard-bytes at once
        flood.send(text)
    # The scrape first: reading from the slow client before the daemon has cut it would drain its
    # queue and make it a healthy reader (seen once on a loaded machine).
    s3 = wait_until("slow consumer counted", lambda: (lambda s: s if s.value(
        "chatd_connections_closed_total", protocol="framed", reason="slow_consumer") == 1 else None)(Scrape(metrics)))
    check(slow.closed(), "the client that never reads is disconnected")
    check(s3.value("chatd_slow_consumer_disconnects_total") == 1, "chatd_slow_consumer_disconnects_total == 1",
          s3.value("chatd_slow_consumer_disconnects_total"))

    # --- a clean stop: the rest close for "shutdown" ---------------------------------------------
    chatd.send_signal(signal.SIGTERM)
    check(chatd.wait(timeout=15) == 0, "chatd stops cleanly on SIGTERM")
    for c in (alice, bob, carol, flood):
        c.close()

    # --- promtool on the packaged rules --------------------------------------------------------------
    for args in (["check", "rules", RULES], ["test", "rules", RULE_TESTS]):
        r = subprocess.run(["promtool", *args], capture_output=True, text=True, cwd=os.path.dirname(RULE_TESTS))
        check(r.returncode == 0, f"promtool {' '.join(args[:2])}", (r.stdout + r.stderr).strip().splitlines()[-1:])


if __name__ == "__main__":
    try:
        main(sys.argv[1])
    except (TimeoutError, OSError, EOFError) as e:
        traceback.print_exc()
        check(False, "suite ran to the end", repr(e))
    passed = "PASS" if not failures else "FAIL"
    print(f"{passed} metrics: {len(failures)} failed check(s){': ' + ', '.join(failures) if failures else ''}")
    sys.exit(1 if failures else 0)
