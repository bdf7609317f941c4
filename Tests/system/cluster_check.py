#!/usr/bin/env python3
"""chatd --cluster end to end: 3 nodes + 1 redis-server on loopback ports, real processes.

Each check prints "ok NAME" or "FAIL NAME: why"; the script exits non-zero on any failure.
Every process it starts is stopped by its PID at the end (also on failure). Waits are
conditions with deadlines, never bare sleeps (senders are paced, which is not a wait).
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

CHATD = sys.argv[1]
WORK = tempfile.mkdtemp(prefix="chatd-cluster-")
PROCS = []
FAILED = []


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(cond, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.01)
    return cond()


def check(name, ok, why=""):
    if ok:
        print(f"ok {name}")
    else:
        print(f"FAIL {name}: {why}")
        FAILED.append(name)


class Redis:
    def __init__(self, extra=()):
        self.port = free_port()
        self.proc = None
        self.extra = list(extra)
        self.auth = ["-a", extra[extra.index("--requirepass") + 1], "--no-auth-warning"] if "--requirepass" in extra else []

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", WORK, "--save", "",
             "--appendonly", "no", "--logfile", f"{WORK}/redis-{self.port}.log", *self.extra],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        PROCS.append(self.proc)
        if not wait_for(lambda: self.cli("PING") == "PONG"):
            raise SystemExit("FAIL cluster: redis-server did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def publish_raw(self, channel, payload):
        """PUBLISH with a binary payload (redis-cli's arguments cannot hold NUL bytes)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            parts = [b"PUBLISH", channel, payload]
            s.sendall(b"*3\r\n" + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts))
            s.recv(64)

    def cli(self, *args):
        r = subprocess.run(["redis-cli", "-p", str(self.port), *self.auth, *args], capture_output=True, text=True, timeout=10)
        return r.stdout.strip()


class Node:
    def __init__(self, name, redis, extra=(), env=None):
        self.name = name
        self.framed = free_port()
        self.irc = free_port()
        self.metrics = free_port()
        self.log = f"{WORK}/node-{name}.log"
        self.proc = subprocess.Popen(
            [CHATD, "--listen", f"framed://127.0.0.1:{self.framed}", "--listen", f"irc://127.0.0.1:{self.irc}",
             "--listen", f"metrics://127.0.0.1:{self.metrics}",
             "--cluster", f"redis://127.0.0.1:{redis.port}", "--node-name", name, "--threads", "2",
             "--msg-rate", "0", "--shutdown-timeout", "1", "--history", "50", *extra],
            stdin=subprocess.DEVNULL, stdout=open(self.log, "w"), stderr=subprocess.STDOUT,
            env=None if env is None else {**os.environ, **env})
        PROCS.append(self.proc)

    def metric(self, name):
        """A sample of this node's /metrics (docs/METRICS.md), or None."""
        try:
            body = urllib.request.urlopen(f"http://127.0.0.1:{self.metrics}/metrics", timeout=5).read().decode()
        except OSError:
            return None
        for line in body.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return None

    def logged(self, text):
        with open(self.log, errors="replace") as f:
            return text in f.read()


def frame(text):
    payload = text.encode()
    return f"{len(payload):<10}".encode() + payload


class Framed:
    """A framed client: every delivery is (sender, text); server lines have sender '*'."""

    def __init__(self, port, name):
        self.name = name
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.settimeout(None)
        self.lines = []
        self.lock = threading.Lock()
        self.sock.sendall(frame(name))
        threading.Thread(target=self._read, daemon=True).start()

    def _recv(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def _frame(self):
        header = self._recv(10)
        if header is None:
            return None
        payload = self._recv(int(header.decode().strip()))
        return None if payload is None else payload.decode(errors="replace")

    def _read(self):
        try:
            while True:
                sender = self._frame()
                text = self._frame() if sender is not None else None
                if text is None:
                    return
                with self.lock:
                    self.lines.append((sender, text))
        except OSError:
            return

    def say(self, text):
        self.sock.sendall(frame(text))

    def snapshot(self):
        with self.lock:
            return list(self.lines)

    def texts(self, prefix):
        return [t for s, t in self.snapshot() if s != "*" and t.startswith(prefix)]

    def notices(self):
        return [t for s, t in self.snapshot() if s == "*"]

    def saw(self, text):
        return any(t == text for s, t in self.snapshot())


class IRC:
    def __init__(self, port, nick):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.settimeout(None)
        self.lines = []
        self.lock = threading.Lock()
        self.send(f"NICK {nick}")
        self.send(f"USER {nick} 0 * :{nick}")
        threading.Thread(target=self._read, daemon=True).start()

    def send(self, line):
        self.sock.sendall(line.encode() + b"\r\n")

    def _read(self):
        buf = b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return
                buf += chunk
                while b"\r\n" in buf:
                    line, buf = buf.split(b"\r\n", 1)
                    text = line.decode(errors="replace")
                    if text.startswith("PING"):
                        self.send("PONG" + text[4:])
                    with self.lock:
                        self.lines.append(text)
        except OSError:
            return

    def privmsgs(self, prefix):
        """(nick, text) of channel PRIVMSGs whose text starts with prefix."""
        out = []
        with self.lock:
            lines = list(self.lines)
        for line in lines:
            parts = line.split(" ", 3)
            if len(parts) == 4 and parts[1] == "PRIVMSG" and parts[3].startswith(":" + prefix):
                out.append((parts[0][1:].split("!")[0], parts[3][1:]))
        return out

    def has(self, fragment):
        with self.lock:
            return any(fragment in line for line in self.lines)


def send_paced(client, texts, interval):
    for t in texts:
        client.say(t)
        if interval:
            time.sleep(interval)


def main():
    redis = Redis()
    redis.start()
    nodes = [Node(n, redis) for n in ("A", "B", "C")]
    A, B, C = nodes
    for n in nodes:
        if not wait_for(lambda: n.logged("cluster link up"), 15):
            raise SystemExit(f"FAIL cluster: node {n.name} did not link up (see {n.log})")

    # 1. Cross-node chat, framed and IRC.
    obs = {n.name: Framed(n.framed, f"obs{n.name}") for n in nodes}
    irc = IRC(C.irc, "ircc")
    if not wait_for(lambda: irc.has(" 001 ")):
        raise SystemExit("FAIL cluster: IRC registration on node C")
    irc.send("JOIN #lobby")
    check("irc-join", wait_for(lambda: irc.has(" 366 ")), "no end of NAMES")
    alice = Framed(A.framed, "alice")
    # Joins complete once the room's past is read: probe until every observer hears alice.
    probe = 0
    while probe < 100 and not all(o.texts("probe-") for o in obs.values()):
        alice.say(f"probe-{probe}")
        probe += 1
        wait_for(lambda: all(o.texts("probe-") for o in obs.values()), 0.2)
    alice.say("hello from A")
    check("framed-cross-node", all(wait_for(lambda o=o: o.saw("hello from A")) for o in (obs["B"], obs["C"])),
          "B or C did not receive A's message")
    check("framed-to-irc", wait_for(lambda: ("alice", "hello from A") in irc.privmsgs("hello")), "IRC on C missed it")
    irc.send("PRIVMSG #lobby :hello from irc")
    check("irc-to-framed", all(wait_for(lambda o=o: ("ircc", "hello from irc") in
                                        [(s, t) for s, t in o.snapshot()]) for o in (obs["A"], obs["B"])),
          "A or B did not receive the IRC message")

    # 2. Three concurrent senders on three nodes: one order everywhere, nothing lost or doubled.
    senders = {n.name: Framed(n.framed, f"s{n.name}") for n in nodes}
    per_sender = 100
    expected = per_sender * 3
    # The lobby exists on every node by now: a sender's join completes before its first message.
    threads = [threading.Thread(target=send_paced, args=(s, [f"m-{name}-{k}" for k in range(per_sender)], 0))
               for name, s in senders.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    complete = wait_for(lambda: all(len(o.texts("m-")) >= expected for o in obs.values())
                        and len(irc.privmsgs("m-")) >= expected, 30)
    orders = {name: o.texts("m-") for name, o in obs.items()}
    orders["irc"] = [t for _, t in irc.privmsgs("m-")]
    counts = {k: len(v) for k, v in orders.items()}
    check("concurrent-complete", complete, f"counts {counts}")
    first = orders["A"]
    check("concurrent-same-order", all(v == first for v in orders.values()),
          "orders differ: " + ", ".join(f"{k}:{v[:5]}" for k, v in orders.items()))
    check("concurrent-no-duplicates", len(set(first)) == len(first) == expected, f"{len(set(first))} distinct of {len(first)}")
    per = {name: [int(t.rsplit("-", 1)[1]) for t in first if t.startswith(f"m-{name}-")] for name in senders}
    check("concurrent-per-sender-order", all(v == list(range(per_sender)) for v in per.values()),
          f"per-sender sequences out of order")

    # 3. A join on C replays history written through A and B (C never had the room).
    wa, wb, oa = Framed(A.framed, "wa"), Framed(B.framed, "wb"), Framed(A.framed, "oa")
    for c in (wa, wb, oa):
        c.say("/join replayroom")
    for c in (wa, wb, oa):
        wait_for(lambda c=c: any("replayroom" in t for t in c.notices()))
    for k in range(10):
        (wa if k % 2 == 0 else wb).say(f"r-{k}")
        wait_for(lambda k=k: oa.saw(f"r-{k}"), 5)
    written = [(s, t) for s, t in oa.snapshot() if t.startswith("r-")]
    late = Framed(C.framed, "late")
    late.say("/join replayroom")
    check("replay-from-stream", wait_for(lambda: [(s, t) for s, t in late.snapshot() if t.startswith("r-")] == written),
          f"C replayed {[(s, t) for s, t in late.snapshot() if t.startswith('r-')]}, A saw {written}")

    # 4. Node C's subscriber killed mid-stream: what was published meanwhile comes from the stream.
    def client_id(name):
        for line in redis.cli("CLIENT", "LIST").splitlines():
            fields = dict(f.split("=", 1) for f in line.split(" ") if "=" in f)
            if fields.get("name") == name:
                return fields["id"]
        return None

    sub_c = client_id("chatd-subscriber-C")
    check("subscriber-named", sub_c is not None, "no chatd-subscriber-C in CLIENT LIST")
    sa = senders["A"]
    gap_texts = [f"g-{k}" for k in range(60)]
    # The first 10 arrive everywhere, then the kill returns, then the rest is published at once:
    # C is unsubscribed for at least the 100 ms reconnect delay, so a gap is certain.
    send_paced(sa, gap_texts[:10], 0.01)
    wait_for(lambda: len(obs["C"].texts("g-")) >= 10, 5)
    redis.cli("CLIENT", "KILL", "ID", sub_c)
    send_paced(sa, gap_texts[10:], 0.01)
    ok = wait_for(lambda: all(o.texts("g-") == gap_texts for o in obs.values()), 15)
    check("subscriber-kill-recovered", ok, f"C got {len(obs['C'].texts('g-'))} of 60: {obs['C'].texts('g-')[:3]}…")
    check("subscriber-kill-from-stream", wait_for(lambda: C.logged("cluster gap recovered from the stream"), 5),
          "node C did not log a recovery (the kill did not open a gap?)")

    # 5. CLIENT KILL TYPE pubsub: every node's subscription at once.
    sb = senders["B"]
    all_texts = [f"p-{k}" for k in range(60)]
    send_paced(sb, all_texts[:10], 0.01)
    wait_for(lambda: all(len(o.texts("p-")) >= 10 for o in obs.values()), 5)
    redis.cli("CLIENT", "KILL", "TYPE", "pubsub")
    send_paced(sb, all_texts[10:], 0.01)
    ok = wait_for(lambda: all(o.texts("p-") == all_texts for o in obs.values()), 15)
    check("pubsub-kill-recovered", ok, ", ".join(f"{k}:{len(o.texts('p-'))}" for k, o in obs.items()))

    # 6. A paused node whose subscription is cut while more is written than the stream keeps:
    # the members there are told how many messages were lost, then get the rest in order.
    D = Node("D", redis, ["--cluster-stream-length", "5"])
    if not wait_for(lambda: D.logged("cluster link up"), 15):
        raise SystemExit(f"FAIL cluster: node D did not link up (see {D.log})")
    writer, reader = Framed(D.framed, "writer"), Framed(C.framed, "reader")
    writer.say("/join lossroom")
    reader.say("/join lossroom")
    for c in (writer, reader):
        wait_for(lambda c=c: any("lossroom" in t for t in c.notices()))
    writer.say("l-0")
    check("loss-setup", wait_for(lambda: reader.texts("l-") == ["l-0"]), f"reader got {reader.texts('l-')}")
    C.proc.send_signal(signal.SIGSTOP)
    try:
        redis.cli("CLIENT", "KILL", "ID", client_id("chatd-subscriber-C"))
        send_paced(writer, [f"l-{k}" for k in range(1, 31)], 0)
        wait_for(lambda: redis.cli("HGET", "chatd:{lossroom}:meta", "seq") == "31", 5)
    finally:
        C.proc.send_signal(signal.SIGCONT)
    lost_notice = lambda: [t for t in reader.notices() if "lost" in t]
    check("trimmed-loss-told", wait_for(lambda: any(t.startswith("25 messages were lost") for t in lost_notice()), 15),
          f"notices: {reader.notices()[-3:]}")
    check("trimmed-rest-delivered", wait_for(lambda: reader.texts("l-") == ["l-0"] + [f"l-{k}" for k in range(26, 31)]),
          f"reader got {reader.texts('l-')}")
    check("trimmed-loss-logged", C.logged("cluster messages lost"), "node C did not log the loss")
    check("metrics-lost-and-recovered", wait_for(lambda: (C.metric("chatd_cluster_lost_total") or 0) >= 25
                                                 and (C.metric("chatd_cluster_recovered_total") or 0) > 0),
          f"C: lost {C.metric('chatd_cluster_lost_total')}, recovered {C.metric('chatd_cluster_recovered_total')}")
    check("metrics-published-delivered", all((n.metric("chatd_cluster_published_total") or 0) > 0
                                              and (n.metric("chatd_cluster_delivered_total") or 0) > 0 for n in (A, B)),
          ", ".join(f"{n.name}: {n.metric('chatd_cluster_published_total')}/{n.metric('chatd_cluster_delivered_total')}"
                    for n in (A, B)))

    # 7. Nicknames are unique cluster-wide; a killed node's names free up within the lease (5 s):
    # a name's key names its holder, and it is held only while the holder's node is alive in
    # chatd:{nodes}:live (the lease script compares that score with Redis's clock).
    holder = Framed(A.framed, "unique")
    check("nick-held", wait_for(lambda: redis.cli("EXISTS", "chatd:nick:{unique}") == "1"), "no lease in Redis")
    rival = Framed(B.framed, "Unique")
    check("nick-collision-refused", wait_for(lambda: any("in use on another server" in t for t in rival.notices())),
          f"rival on B was not refused: {rival.notices()}")
    holder.say("still here")
    check("nick-holder-kept", wait_for(lambda: obs["B"].saw("still here")), "the holder lost its name")
    # chatd-client with --server: connected to D, it fails over to C when D is killed (its name
    # comes free there once D's lease runs out; until then C refuses it and the client retries).
    client_bin = os.path.join(os.path.dirname(CHATD), "chatd-client")
    failover = subprocess.Popen(
        [client_bin, "--host", "127.0.0.1", "--port", str(D.framed), "--server", f"127.0.0.1:{C.framed}",
         "--user", "roamer", "--max-backoff", "1", "--eof-grace", "1"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    PROCS.append(failover)
    failover.stdin.write(b"fo-1\n")
    failover.stdin.flush()
    check("client-on-D", wait_for(lambda: obs["A"].saw("fo-1"), 10), "chatd-client's message via D did not arrive")
    ghost = Framed(D.framed, "ghost")
    check("nick-ghost-held", wait_for(lambda: redis.cli("EXISTS", "chatd:nick:{ghost}") == "1"), "no lease for ghost")
    D.proc.kill()
    D.proc.wait()
    killed_at = time.monotonic()
    def ghost_free():
        holder = redis.cli("GET", "chatd:nick:{ghost}")
        if not holder:
            return True
        expires = redis.cli("ZSCORE", "chatd:{nodes}:live", holder.rsplit("|", 1)[0])
        seconds, micros = redis.cli("TIME").split()
        return not expires or float(expires) <= int(seconds) * 1000 + int(micros) // 1000

    check("nick-ghost-alive", not ghost_free(), "ghost's node was not alive in chatd:{nodes}:live before the kill")
    freed = wait_for(ghost_free, 10)
    check("nick-freed-after-kill", freed and time.monotonic() - killed_at <= 6.5,
          f"ghost still held {time.monotonic() - killed_at:.1f} s after kill -9")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and failover.poll() is None and not obs["A"].saw("fo-2"):
        failover.stdin.write(b"fo-2\n")
        failover.stdin.flush()
        wait_for(lambda: obs["A"].saw("fo-2"), 1)
    check("client-failover", obs["A"].saw("fo-2"),
          f"chatd-client did not fail over to C (exit {failover.poll()})")
    failover.stdin.close()
    reborn = Framed(C.framed, "ghost")
    reborn.say("back again")
    check("nick-reusable", wait_for(lambda: obs["A"].saw("back again")) and
          not any("in use" in t for t in reborn.notices()), f"{reborn.notices()}")

    # 8. Private messages reach a user on another node (framed to framed, IRC to framed);
    # a name nobody holds is refused.
    pm_to = Framed(B.framed, "pmbob")
    pm_from = Framed(A.framed, "pmann")
    check("pm-lease", wait_for(lambda: redis.cli("EXISTS", "chatd:nick:{pmbob}") == "1"), "no lease for pmbob")
    pm_from.say("/msg pmbob psst-1")
    check("pm-cross-node", wait_for(lambda: any("psst-1" in t and s == "pmann" for s, t in pm_to.snapshot())),
          f"pmbob got {pm_to.snapshot()[-3:]}")
    irc.send("PRIVMSG pmbob :psst-2")
    check("pm-irc-cross-node", wait_for(lambda: any("psst-2" in t and s == "ircc" for s, t in pm_to.snapshot())),
          f"pmbob got {pm_to.snapshot()[-3:]}")
    pm_from.say("/msg nobody-here psst-3")
    check("pm-unknown-refused", wait_for(lambda: any("no such user: nobody-here" in t for t in pm_from.notices())),
          f"pmann got {pm_from.notices()[-3:]}")

    # 8b. Presence is cluster-wide: members on every node in /who, NAMES, WHO and /rooms; joins,
    # parts and renames of other nodes' members are shown; a killed node's members vanish within
    # the presence lease (5 s) + one heartbeat (1.7 s).
    def who(client, room):
        before = len(client.notices())
        client.say("/who")
        if not wait_for(lambda: any(t.startswith(f"in #{room}:") for t in client.notices()[before:]), 5):
            return None
        line = [t for t in client.notices()[before:] if t.startswith(f"in #{room}:")][-1]
        return sorted(n.strip() for n in line.split(":", 1)[1].split(",") if n.strip())

    def rooms_line(client):
        before = len(client.notices())
        client.say("/rooms")
        wait_for(lambda: any(t.startswith("rooms:") for t in client.notices()[before:]), 5)
        lines = [t for t in client.notices()[before:] if t.startswith("rooms:")]
        return lines[-1] if lines else ""

    pa, pb = Framed(A.framed, "pa"), Framed(B.framed, "pb")
    pa.say("/join presence")
    check("presence-join-a", wait_for(lambda: any("you joined #presence" in t for t in pa.notices())), f"{pa.notices()[-3:]}")
    pb.say("/join presence")
    check("presence-remote-join-shown", wait_for(lambda: "pb joined #presence" in pa.notices()), f"pa got {pa.notices()[-3:]}")
    check("presence-who-both", wait_for(lambda: who(pa, "presence") == ["pa", "pb"] and who(pb, "presence") == ["pa", "pb"], 10),
          f"A: {who(pa, 'presence')}, B: {who(pb, 'presence')}")
    pirc = IRC(A.irc, "pirc")
    wait_for(lambda: pirc.has(" 001 "))
    pirc.send("JOIN #presence")
    check("presence-irc-names", wait_for(lambda: pirc.has(" 353 ") and any(" 353 " in l and "pb" in l and "pa" in l for l in pirc.lines)),
          f"NAMES: {[l for l in pirc.lines if ' 353 ' in l]}")
    pirc.send("WHO #presence")
    check("presence-irc-who", wait_for(lambda: any(" 352 " in l and " pb " in l for l in pirc.lines)),
          f"WHO: {[l for l in pirc.lines if ' 352 ' in l]}")
    check("presence-irc-join-on-b", wait_for(lambda: "pirc joined #presence" in pb.notices()), f"pb got {pb.notices()[-3:]}")
    # /rooms on C, which has no member of #presence: the cluster's count (3) from the listing.
    check("presence-rooms-elsewhere", wait_for(lambda: "#presence (3)" in rooms_line(obs["C"]), 10), rooms_line(obs["C"]))
    check("presence-rooms-count", "#presence (3)" in rooms_line(pa), rooms_line(pa))
    pb.say("/nick pbee")
    check("presence-remote-rename", wait_for(lambda: "pb is now known as pbee" in pa.notices()), f"pa got {pa.notices()[-3:]}")
    pirc.send("PART #presence")
    check("presence-remote-part", wait_for(lambda: "pirc left #presence" in pb.notices()), f"pb got {pb.notices()[-3:]}")
    check("presence-who-after", wait_for(lambda: who(pb, "presence") == ["pa", "pbee"], 5), f"B: {who(pb, 'presence')}")
    F = Node("F", redis)
    if not wait_for(lambda: F.logged("cluster link up"), 15):
        raise SystemExit(f"FAIL cluster: node F did not link up (see {F.log})")
    doomed = Framed(F.framed, "doomed")
    doomed.say("/join presence")
    check("presence-join-from-f", wait_for(lambda: "doomed joined #presence" in pa.notices()), f"pa got {pa.notices()[-3:]}")
    F.proc.kill()
    F.proc.wait()
    killed_at = time.monotonic()
    gone = wait_for(lambda: "doomed disconnected (server lost (its link to the cluster stopped))" in pa.notices()
                    and "doomed disconnected (server lost (its link to the cluster stopped))" in pb.notices(), 12)
    took = time.monotonic() - killed_at
    check("presence-killed-node-gone", gone and took <= 8.5, f"after {took:.1f} s: pa {pa.notices()[-2:]}")
    check("presence-who-without-killed", who(pa, "presence") == ["pa", "pbee"] and who(pb, "presence") == ["pa", "pbee"],
          f"A: {who(pa, 'presence')}, B: {who(pb, 'presence')}")
    print(f"   (a kill -9'd node's member left every list {took:.1f} s after the kill)")
    check("presence-rooms-after-kill", wait_for(lambda: "#presence (2)" in rooms_line(obs["C"]), 6), rooms_line(obs["C"]))

    # 8c. Hostile payloads on a room's channel are counted and skipped; the room goes on.
    malformed_before = A.metric("chatd_cluster_malformed_total") or 0
    for junk in [b"garbage", b"e1 x c1", b"e1 99 c1\x00", b"e1 99 g1nobar", b"e1 99 c1" + b"\x01" * 40 + b"\xff\xfe"]:
        redis.publish_raw(b"chatd:{presence}:ch", junk)
    check("hostile-counted", wait_for(lambda: (A.metric("chatd_cluster_malformed_total") or 0) >= malformed_before + 5),
          f"malformed: {A.metric('chatd_cluster_malformed_total')} (was {malformed_before})")
    pb.say("after junk")
    check("hostile-room-goes-on", wait_for(lambda: pa.saw("after junk")), "pa missed the next message")

    # 9. A password-protected Redis: the password comes as a systemd credential
    # ($CREDENTIALS_DIRECTORY/cluster-password), not in the URL.
    locked = Redis(["--requirepass", "s3cret-pw"])
    locked.start()
    creds = f"{WORK}/credentials"
    os.makedirs(creds)
    with open(f"{creds}/cluster-password", "w") as f:
        f.write("s3cret-pw\n")
    E = Node("E", locked, env={"CREDENTIALS_DIRECTORY": creds})
    check("credential-password", wait_for(lambda: E.logged("cluster link up"), 15), f"node E did not log in (see {E.log})")
    check("credential-not-logged", not E.logged("s3cret-pw"), "the password appears in the log")
    E.proc.terminate()
    E.proc.wait(timeout=10)
    locked.stop()

    # 10. Redis restarted (no persistence): clients stay, are told once, refused sends are told;
    # after recovery everything accepted arrives everywhere.
    redis.stop()
    check("redis-down-told", wait_for(lambda: all(any("cluster link down" in t for t in o.notices()) for o in obs.values())),
          "not every client was told the link is down")
    check("metrics-link-down", wait_for(lambda: all(n.metric("chatd_cluster_link_up") == 0 for n in nodes)),
          f"link_up: {[n.metric('chatd_cluster_link_up') for n in nodes]}")
    before = len([t for t in sa.notices() if "not sent" in t])
    for k in range(3):
        sa.say(f"refused-{k}")
    check("redis-down-refused", wait_for(lambda: len([t for t in sa.notices() if "not sent" in t]) - before == 3),
          f"refusals: {[t for t in sa.notices() if 'not sent' in t]}")
    # A join to a room this node has not got waits for its past, then is refused (5 s);
    # a join to a room the node has completes at once.
    jw = Framed(A.framed, "joinwait")
    wait_for(lambda: any("cluster link down" in t for t in jw.notices()) or len(jw.snapshot()) > 0, 3)
    asked = time.monotonic()
    jw.say("/join neverseen")
    refused = wait_for(lambda: any("cannot join #neverseen: the cluster link is down" in t for t in jw.notices()), 10)
    waited = time.monotonic() - asked
    check("join-while-down-refused", refused and 4.0 <= waited <= 7.0, f"after {waited:.1f} s: {jw.notices()[-3:]}")
    jw.say("lost in no room")
    check("join-while-down-roomless", wait_for(lambda: any("you are in no room" in t for t in jw.notices())), f"{jw.notices()[-2:]}")
    jw.say("/join presence")
    check("join-while-down-known-room", wait_for(lambda: any("you joined #presence" in t for t in jw.notices()), 3),
          f"{jw.notices()[-2:]}")
    redis.start()
    check("redis-back-told", wait_for(lambda: any("cluster link restored" in t for t in sa.notices()), 20),
          "no 'cluster link restored'")
    check("metrics-link-back", wait_for(lambda: all(n.metric("chatd_cluster_link_up") == 1
                                                    and (n.metric("chatd_cluster_disconnects_total") or 0) >= 1 for n in nodes)),
          f"link_up: {[n.metric('chatd_cluster_link_up') for n in nodes]}, "
          f"disconnects: {[n.metric('chatd_cluster_disconnects_total') for n in nodes]}")
    check("metrics-refused", (A.metric("chatd_cluster_refused_total") or 0) >= 3, f"A: {A.metric('chatd_cluster_refused_total')}")
    check("redis-down-told-once", all(sum("cluster link down" in t for t in o.notices()) == 1 for o in obs.values()),
          "a client was told more than once")
    after = [f"after-{k}" for k in range(5)]
    # The subscription may still be catching up: sends are taken (stored in Redis) meanwhile.
    wait_for(lambda: A.logged("cluster link up") and B.logged("cluster link up"), 10)
    send_paced(sa, after, 0.01)
    ok = wait_for(lambda: obs["B"].texts("after-") == after and obs["C"].texts("after-") == after, 20)
    check("after-restart-delivered", ok, f"B {obs['B'].texts('after-')} C {obs['C'].texts('after-')}")
    # Members that joined while the link was down are re-asserted: B sees joinwait in #presence.
    check("presence-reasserted", wait_for(lambda: who(pb, "presence") == ["joinwait", "pa", "pbee"], 15), f"B: {who(pb, 'presence')}")
    jw.say("/join neverseen")
    check("join-after-restore", wait_for(lambda: any("you joined #neverseen" in t for t in jw.notices()), 10), f"{jw.notices()[-2:]}")
    check("refused-never-delivered", not any(o.texts("refused-") for o in obs.values()), "a refused message was delivered")
    check("node-alive", all(n.proc.poll() is None for n in nodes), "a node exited")


try:
    main()
except SystemExit as e:
    if e.code not in (None, 0):
        print(e.code)
        FAILED.append("setup")
finally:
    for p in PROCS:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in PROCS:
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    if FAILED:
        for name in ("A", "B", "C", "D", "F"):
            path = f"{WORK}/node-{name}.log"
            if os.path.exists(path):
                print(f"--- {path} (tail)")
                with open(path, errors="replace") as f:
                    print("".join(f.readlines()[-15:]))
    shutil.rmtree(WORK, ignore_errors=True)

print(f"cluster: {'FAIL ' + ', '.join(FAILED) if FAILED else 'all checks passed'}")
sys.exit(1 if FAILED else 0)
