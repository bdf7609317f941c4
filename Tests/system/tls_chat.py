#!/usr/bin/env python3
"""A chat client like the tutorial's (10-byte ASCII length header + payload), inside TLS with
Python's ssl module. Logs in as NAME, says TEXT, and waits until WAIT_FOR_SENDER sends
WAIT_FOR_TEXT; prints each received message as "sender > text" and exits 0 once it arrives
(1 on timeout, a closed connection or a verification failure).

  tls_chat.py PORT CAFILE NAME TEXT WAIT_FOR_SENDER WAIT_FOR_TEXT
"""
import socket
import ssl
import sys
import time


def frame(payload: bytes) -> bytes:
    return f"{len(payload):<10}".encode() + payload


def main():
    port, cafile, name, text, want_sender, want_text = sys.argv[1:7]
    ctx = ssl.create_default_context(cafile=cafile)
    raw = socket.create_connection(("127.0.0.1", int(port)), timeout=10)
    s = ctx.wrap_socket(raw, server_hostname="localhost")
    s.sendall(frame(name.encode()))
    s.sendall(frame(text.encode()))
    buf = b""
    frames = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        chunk = s.recv(65536)
        if not chunk:
            print("closed by the server")
            sys.exit(1)
        buf += chunk
        while len(buf) >= 10:
            n = int(buf[:10].decode().strip())
            if len(buf) < 10 + n:
                break
            frames.append(buf[10:10 + n].decode())
            buf = buf[10 + n:]
        while len(frames) >= 2:
            sender, body = frames.pop(0), frames.pop(0)
            print(f"{sender} > {body}", flush=True)
            if sender == want_sender and body == want_text:
                print(f"OK {s.version()}")
                s.close()
                return
    print("timed out")
    sys.exit(1)


if __name__ == "__main__":
    main()
