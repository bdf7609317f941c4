#!/usr/bin/env python3
"""Soak driver: mixed chat load against a real chatd, then no-loss, RSS and fd checks.

  soak.py CHATD_BINARY DURATION_SECONDS

Load (one Python process, non-blocking sockets):
  * observers: 2 per room (rooms: lobby, soak0..soak3), join at the start, never send,
    never leave;
  * churners (SOAK_CHURNERS, default 60): each tick a churner may send a message, /join
    another room, /leave (back to the lobby), /nick a new name, /who, or disconnect
    (FIN, or RST) and reconnect later under a fresh name. Churners read everything.

The invariant checked (provable from the driver's own bookkeeping): a client's frames are
handled in order, so a message sent after "/join R" and before the client's next room change
is published in R; a FIN after it does not lose it (the daemon reads to EOF). Hence:
  1. each observer of room R receives exactly the set of message ids sent in R (no loss,
     no duplicate, nothing from another room); messages a client sent just before an RST
     may legitimately be lost and are only required to be seen consistently;
  2. both observers of a room receive the same sequence (one ordering point per room);
  3. each sender's messages arrive in send order.
Resources: baseline = daemon RSS and fd count after a warm-up round (same clients connected,
traffic, all disconnected); after the soak every client leaves and the figures must be back
near the baseline: fds exactly, RSS within max(SOAK_RSS_SLACK_KIB (16 MiB), 25 %) — glibc
keeps freed arena memory, and rooms keep their history (bounded: --history x rooms).
"""
import os
import random
import re
import resource
import selectors
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

ROOMS = ["lobby", "soak0", "soak1", "soak2", "soak3"]


def frame(payload):
    if isinstance(payload, str):
        payload = payload.encode()
    return f"{len(payload):<10}".encode() + payload


class Conn:
    def __init__(self, port, name, source):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((source, 0))
        self.sock.settimeout(10)
        self.sock.connect(("127.0.0.1", port))
        self.sock.setblocking(False)
        self.buf = bytearray()
        self.out = bytearray()
        self.sender = None
        self.messages = []
        self.eof = False
        self.name = name
        self.queue(frame(name))

    def queue(self, data):
        self.out += data
        self.flush()

    def flush(self):
        while self.out:
            try:
                n = self.sock.send(self.out)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                self.eof = True
                return
            del self.out[:n]

    def feed(self, keep):
        while True:
            try:
                chunk = self.sock.recv(1 << 20)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                self.eof = True
                break
            if not chunk:
                self.eof = True
                break
            self.buf += chunk
        pos, buf = 0, self.buf
        while len(buf) - pos >= 10:
            n = int(bytes(buf[pos:pos + 10]).strip())
            if len(buf) - pos - 10 < n:
                break
            payload = bytes(buf[pos + 10:pos + 10 + n])
            pos += 10 + n
            if self.sender is None:
                self.sender = payload
            else:
                if keep:
                    self.messages.append((self.sender, payload))
                self.sender = None
        del buf[:pos]
        return not self.eof

    def close(self, rst=False):
        try:
            if rst:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.sock.close()
        except OSError:
            pass


class Daemon:
    def __init__(self, binary, flags):
        self.log = tempfile.NamedTemporaryFile(prefix="chatd-soak-", suffix=".log", delete=False)
        self.proc = subprocess.Popen([binary, "--listen", "127.0.0.1:0", *flags], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + 30
        self.port = None
        while self.port is None:
            m = re.search(r"chat\.listen=(?:[a-z+]+://)?127\.0\.0\.1:(\d+)", open(self.log.name, errors="replace").read())
            if m:
                self.port = int(m.group(1))
            elif self.proc.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"FAIL soak: chatd did not start: {open(self.log.name).read()[-2000:]}")
            else:
                time.sleep(0.05)

    def rss_kib(self):
        for line in open(f"/proc/{self.proc.pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def fds(self):
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def log_text(self):
        return open(self.log.name, errors="replace").read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


class Soak:
    def __init__(self, port, churners, seed):
        self.port = port
        self.rng = random.Random(seed)
        self.sel = selectors.DefaultSelector()
        self.n_churners = churners
        self.next_id = 0
        self.gen = 0
        self.sent = {r: [] for r in ROOMS}          # room -> [msg id] in send order (per driver)
        self.maybe_lost = set()                      # ids sent right before an RST
        self.sender_of = {}                          # id -> churner slot
        self.counts = {"messages": 0, "joins": 0, "leaves": 0, "nicks": 0, "who": 0, "fin": 0, "rst": 0,
                       "reconnects": 0}
        self.unexpected_eof = 0

    def connect(self, name):
        for _ in range(50):
            try:
                c = Conn(self.port, name, f"127.2.{self.rng.randrange(200)}.{1 + self.rng.randrange(250)}")
                self.sel.register(c.sock, selectors.EVENT_READ, c)
                return c
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("cannot connect")

    def fresh_name(self, slot):
        self.gen += 1
        return f"c{slot}g{self.gen}"

    def setup_observers(self):
        self.observers = {}
        for r in ROOMS:
            pair = []
            for k in range(2):
                c = self.connect(f"obs-{r}-{k}")
                if r != "lobby":
                    c.queue(frame(f"/join {r}"))
                pair.append(c)
            self.observers[r] = pair
        self.pump(1.0, keep=False)
        for pair in self.observers.values():
            for c in pair:
                c.messages.clear()   # start recording from here on

    def setup_churners(self):
        self.churners = []
        for i in range(self.n_churners):
            self.churners.append({"conn": self.connect(self.fresh_name(i)), "room": "lobby", "down_until": 0.0,
                                  "last_send": 0.0})

    def pump(self, seconds, keep=True):
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for key, _ in self.sel.select(min(left, 0.02)):
                c = key.data
                is_observer = c.name.startswith("obs-")
                if not c.feed(keep and is_observer):
                    self.sel.unregister(c.sock)
                    if not getattr(c, "leaving", False):
                        self.unexpected_eof += 1

    def send_message(self, slot, ch, now):
        mid = self.next_id
        self.next_id += 1
        size = self.rng.choice((8, 40, 200, 1000))
        text = f"soak:{mid}:{slot}:" + "m" * size
        ch["conn"].queue(frame(text))
        self.sent[ch["room"]].append(mid)
        self.sender_of[mid] = slot
        ch["last_send"] = now
        self.counts["messages"] += 1

    def step(self, now, record):
        for slot, ch in enumerate(self.churners):
            c = ch["conn"]
            if c is None:
                if now >= ch["down_until"]:
                    ch["conn"] = self.connect(self.fresh_name(slot))
                    ch["room"] = "lobby"
                    self.counts["reconnects"] += 1
                continue
            if c.eof:
                continue
            # Stay under the default --msg-rate (10/s, burst 20): each churner sends <= ~5/s.
            x = self.rng.random()
            if x < 0.10:
                if now - ch["last_send"] >= 0.2:
                    self.send_message(slot, ch, now)
            elif x < 0.102:
                room = self.rng.choice(ROOMS[1:])
                if room != ch["room"]:
                    c.queue(frame(f"/join {room}"))
                    ch["room"] = room
                    self.counts["joins"] += 1
            elif x < 0.103:
                if ch["room"] != "lobby":
                    c.queue(frame("/leave"))
                    ch["room"] = "lobby"
                    self.counts["leaves"] += 1
            elif x < 0.104:
                c.queue(frame(f"/nick {self.fresh_name(slot)}"))
                self.counts["nicks"] += 1
            elif x < 0.1045:
                c.queue(frame("/who"))
                self.counts["who"] += 1
            elif x < 0.1055:
                rst = self.rng.random() < 0.3
                c.leaving = True
                self.sel.unregister(c.sock)
                c.flush()
                if rst:
                    # Whatever it sent since its last confirmed receipt may be lost with the RST.
                    self.maybe_lost.update(m for m in self.recent_ids(slot))
                    self.counts["rst"] += 1
                else:
                    if c.out:  # ensure everything it sent reaches the daemon before the FIN
                        c.sock.setblocking(True)
                        try:
                            c.sock.sendall(c.out)
                        except OSError:
                            pass
                    self.counts["fin"] += 1
                c.close(rst=rst)
                ch["conn"] = None
                ch["down_until"] = now + self.rng.uniform(0.1, 1.0)

    def recent_ids(self, slot):
        # Messages of this churner not yet seen by any observer.
        seen = self.seen_ids()
        return [m for m, s in self.sender_of.items() if s == slot and m not in seen]

    def seen_ids(self):
        seen = set()
        for pair in self.observers.values():
            for c in pair:
                for _, text in c.messages:
                    if text.startswith(b"soak:"):
                        seen.add(int(text.split(b":", 2)[1]))
        return seen

    def run(self, duration):
        t0 = time.monotonic()
        while time.monotonic() - t0 < duration:
            self.step(time.monotonic(), True)
            for ch in self.churners:
                if ch["conn"] is not None:
                    ch["conn"].flush()
            self.pump(0.02)

    def finish(self):
        for ch in self.churners:
            c = ch["conn"]
            if c is not None:
                c.leaving = True
                c.flush()
                if c.out:
                    c.sock.setblocking(True)
                    c.sock.sendall(c.out)
        # Let the last messages arrive at the observers, then everyone leaves.
        self.pump(3.0)
        for ch in self.churners:
            c = ch["conn"]
            if c is not None:
                try:
                    self.sel.unregister(c.sock)
                except (KeyError, ValueError):
                    pass
                c.close()
        self.pump(1.0)
        for pair in self.observers.values():
            for c in pair:
                c.leaving = True
                c.close()
        self.sel.close()


def main():
    binary, duration = sys.argv[1], float(sys.argv[2])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    churners = int(os.environ.get("SOAK_CHURNERS", 60))
    slack_kib = int(os.environ.get("SOAK_RSS_SLACK_KIB", 16384))
    flags = os.environ.get("SOAK_CHATD_FLAGS", "--threads 2 --max-conns-per-ip 0").split()
    d = Daemon(binary, flags)
    failures = []

    def result(ok, label, detail=""):
        print(f"{'PASS' if ok else 'FAIL'} soak: {label}{': ' + detail if detail else ''}", flush=True)
        if not ok:
            failures.append(label)

    try:
        start_rss, start_fds = d.rss_kib(), d.fds()
        # Warm-up round: same population and traffic for a few seconds, then all leave.
        warm = Soak(d.port, churners, seed=1)
        warm.setup_observers()
        warm.setup_churners()
        warm.run(min(5.0, duration / 4))
        warm.finish()
        time.sleep(3.0)  # lingering closes end within 2 s
        base_rss, base_fds = d.rss_kib(), d.fds()

        s = Soak(d.port, churners, seed=int(os.environ.get("SOAK_SEED", 42)))
        s.setup_observers()
        s.setup_churners()
        t0 = time.monotonic()
        s.run(duration)
        peak_rss, peak_fds = d.rss_kib(), d.fds()
        s.finish()
        elapsed = time.monotonic() - t0
        time.sleep(3.0)
        after_rss, after_fds = d.rss_kib(), d.fds()

        # ---- no loss, order
        lost = dup = foreign = mismatched = out_of_order = 0
        delivered = 0
        for room, pair in s.observers.items():
            sent = s.sent[room]
            expected = set(sent)
            seqs = []
            for c in pair:
                ids = [int(t.split(b":", 2)[1]) for _, t in c.messages if t.startswith(b"soak:")]
                seqs.append(ids)
                got = set(ids)
                delivered += len(ids)
                dup += len(ids) - len(got)
                foreign += len(got - expected)
                lost += len((expected - got) - s.maybe_lost)
                last = {}
                for m in ids:
                    slot = s.sender_of.get(m)
                    if slot in last and last[slot] > m:
                        out_of_order += 1
                    last[slot] = m
            if seqs[0] != seqs[1]:
                mismatched += 1
        total_sent = s.counts["messages"]
        rst_unconfirmed = len(s.maybe_lost)
        print(f"soak: {elapsed:.0f} s, {churners} churners + {2 * len(ROOMS)} observers over {len(ROOMS)} rooms",
              flush=True)
        print("soak: actions " + ", ".join(f"{k} {v}" for k, v in s.counts.items()), flush=True)
        print(f"soak: messages sent {total_sent} ({total_sent / max(elapsed, 1):.0f}/s), observer deliveries "
              f"{delivered}, lost {lost}, duplicates {dup}, foreign {foreign}, out of order {out_of_order}, "
              f"rooms whose observers disagree {mismatched}, sent just before an RST (may be lost) "
              f"{rst_unconfirmed}", flush=True)
        print(f"soak: RSS KiB start {start_rss}, baseline {base_rss}, peak {peak_rss}, after {after_rss} "
              f"({after_rss - base_rss:+d}); fds start {start_fds}, baseline {base_fds}, peak {peak_fds}, "
              f"after {after_fds}", flush=True)
        result(d.proc.poll() is None, "daemon alive")
        result(total_sent > 0 and lost == 0 and dup == 0 and foreign == 0, "no loss for observers",
               f"{lost} lost, {dup} duplicated, {foreign} foreign of {total_sent} sent")
        result(mismatched == 0 and out_of_order == 0, "same order for every observer of a room, per-sender order kept")
        result(s.unexpected_eof == 0, "no healthy client disconnected", f"{s.unexpected_eof} unexpected closes")
        slow = d.log_text().count("disconnecting slow consumer")
        result(slow == 0, "no slow-consumer disconnects", f"{slow}")
        allowed = max(slack_kib, base_rss // 4)
        result(after_rss - base_rss <= allowed, "RSS back near baseline",
               f"{after_rss - base_rss:+d} KiB (allowed +{allowed} KiB)")
        result(after_fds == base_fds, "fds back to baseline", f"{after_fds} vs {base_fds}")
    finally:
        rc = d.stop()
        os.unlink(d.log.name)
    result(rc == 0, "daemon exits 0 on SIGTERM", f"exit status {rc}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
