#!/usr/bin/env python3
"""The framed side of client-irc.sh: logs in to chatd as NAME over the tutorial protocol,
waits (bounded) until every IRC nick in WAIT is in #lobby, says a line and a /me, then waits
until each of those nicks has said something and prints every message it received."""
import socket, sys, time

port, name, wait = int(sys.argv[1]), sys.argv[2], sys.argv[3].split(",")
deadline = time.time() + float(sys.argv[4] if len(sys.argv) > 4 else 30)
s = socket.create_connection(("127.0.0.1", port))
s.settimeout(0.2)
buf = b""

def send(text):
    b = text.encode()
    s.sendall(f"{len(b):<10}".encode() + b)

def frames():
    global buf
    try:
        data = s.recv(65536)
        if not data:
            sys.exit("chatd closed the connection")
        buf += data
    except socket.timeout:
        pass
    out = []
    while len(buf) >= 10:
        n = int(buf[:10].strip())
        if len(buf) < 10 + n:
            break
        out.append(buf[10:10 + n].decode())
        buf = buf[10 + n:]
    return out

send(name)
got, said, pending = [], set(), []
while time.time() < deadline:
    send("/who")
    for f in frames():
        pending.append(f)
    who = [p for p in pending if p.startswith("in #lobby: ")]
    if who and all(n in who[-1] for n in wait):
        break
    time.sleep(0.2)
else:
    sys.exit(f"timed out waiting for {wait} in #lobby")
send("hello from framed")
send("/me waves from framed")
messages = []
while time.time() < deadline and not all(n in said for n in wait):
    fs = pending + frames()
    pending = []
    while len(fs) >= 2:
        sender, text = fs[0], fs[1]
        fs = fs[2:]
        if sender == "*":
            continue
        messages.append(f"{sender}: {text}")
        said.add(sender)
    pending = fs
for m in messages:
    print(m)
sys.exit(0 if all(n in said for n in wait) else f"no message from {set(wait) - said}")
