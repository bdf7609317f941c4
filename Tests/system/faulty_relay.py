#!/usr/bin/env python3
"""A deliberately faulty chat relay speaking chatd's framed protocol (DESIGN.md §2: a 10-byte
ASCII length header, then the payload; the server sends each message as a sender frame and a
text frame). It exists to prove that chatd-bench catches servers that lose, repeat or reorder
messages: with --faults it drops every 11th message, sends every 7th twice and holds every
13th back until after the next one; without, it relays faithfully.

    faulty_relay.py [--faults]     listens on a free loopback port and prints "listening PORT"
"""
import selectors
import socket
import sys

faults = "--faults" in sys.argv
sel = selectors.DefaultSelector()
clients = {}  # socket -> {"buf": bytes, "name": str or None, "out": bytearray}
held = []  # frames held back per "reorder" fault: (sender socket, frame bytes)
count = 0


def frame(payload: bytes) -> bytes:
    return str(len(payload)).encode().ljust(10) + payload


def flush(sock):
    c = clients.get(sock)
    if not c or not c["out"]:
        return
    try:
        n = sock.send(c["out"])
        del c["out"][:n]
    except BlockingIOError:
        pass
    except OSError:
        drop(sock)
        return
    sel.modify(sock, selectors.EVENT_READ | (selectors.EVENT_WRITE if c["out"] else 0))


def relay(sender, data: bytes):
    for s, c in list(clients.items()):
        if s is not sender and c["name"] is not None:
            c["out"] += data
            flush(s)


def message(sender, text: bytes):
    global count
    count += 1
    data = frame(clients[sender]["name"].encode()) + frame(text)
    if faults and count % 11 == 0:
        return
    if faults and count % 13 == 0:
        held.append((sender, data))
        return
    relay(sender, data)
    if faults and count % 7 == 0:
        relay(sender, data)
    while held:
        relay(*held.pop())


def drop(sock):
    if sock in clients:
        sel.unregister(sock)
        del clients[sock]
        sock.close()


listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(128)
listener.setblocking(False)
sel.register(listener, selectors.EVENT_READ)
print("listening", listener.getsockname()[1], flush=True)
while True:
    for key, events in sel.select():
        s = key.fileobj
        if s is listener:
            conn, _ = listener.accept()
            conn.setblocking(False)
            clients[conn] = {"buf": b"", "name": None, "out": bytearray()}
            sel.register(conn, selectors.EVENT_READ)
            continue
        if events & selectors.EVENT_WRITE:
            flush(s)
        if not events & selectors.EVENT_READ or s not in clients:
            continue
        try:
            data = s.recv(65536)
        except BlockingIOError:
            continue
        except OSError:
            data = b""
        if not data:
            drop(s)
            continue
        c = clients[s]
        c["buf"] += data
        while len(c["buf"]) >= 10:
            n = int(c["buf"][:10])
            if len(c["buf"]) < 10 + n:
                break
            payload, c["buf"] = c["buf"][10:10 + n], c["buf"][10 + n:]
            if c["name"] is None:
                c["name"] = payload.decode()
            elif not payload.startswith(b"/"):
                message(s, payload)
