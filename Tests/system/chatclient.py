#!/usr/bin/env python3
"""Minimal chatd client for the system tests, speaking the seed wire protocol.

A frame is a 10-byte header, the payload length in ASCII left-aligned and space-padded
(Python f"{n:<10}"), then the payload; the first frame a client sends is its username.
The server delivers each message as two frames: the sender's name, then the text.

  chatclient.py hold HOST PORT NAME OUTFILE
      log in and stay connected; append one line "SENDER<TAB>TEXT" per received message to
      OUTFILE (flushed at once), and the line "EOF" when the server closes the connection.
      Writes "CONNECTED" first, once the username is sent.
  chatclient.py send HOST PORT NAME TEXT...
      log in, send each TEXT as a message, then /who; quit once its reply shows the server
      handled them all (10 s deadline).

Exits 2 when it cannot connect within 10 s (for socket activation the first connect
succeeds at once: systemd holds the listening socket). Stops by itself after 120 s.
"""
import socket
import sys
import time


def frame(text: str) -> bytes:
    payload = text.encode()
    return f"{len(payload):<10}".encode() + payload


def connect(host: str, port: int) -> socket.socket:
    deadline = time.monotonic() + 10
    while True:
        try:
            return socket.create_connection((host, port), timeout=10)
        except OSError:
            if time.monotonic() > deadline:
                sys.exit(2)
            time.sleep(0.1)


def recv_exact(sock: socket.socket, n: int) -> bytes | None:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def read_frame(sock: socket.socket) -> str | None:
    header = recv_exact(sock, 10)
    if header is None:
        return None
    payload = recv_exact(sock, int(header.decode().strip()))
    return None if payload is None else payload.decode(errors="replace")


def hold(host: str, port: int, name: str, outfile: str) -> None:
    sock = connect(host, port)
    sock.settimeout(120)  # bounded: a forgotten client ends by itself
    sock.sendall(frame(name))
    with open(outfile, "a", buffering=1) as out:
        out.write("CONNECTED\n")
        try:
            while True:
                sender = read_frame(sock)
                if sender is None:
                    break
                text = read_frame(sock)
                if text is None:
                    break
                out.write(f"{sender}\t{text}\n")
        except (OSError, ValueError) as error:
            out.write(f"ERROR {error}\n")
        out.write("EOF\n")


def send(host: str, port: int, name: str, texts: list[str]) -> None:
    sock = connect(host, port)
    sock.sendall(frame(name) + b"".join(frame(t) for t in texts) + frame("/who"))
    # The /who reply comes after the server has handled every frame before it (one
    # connection's frames are handled in order): then closing cannot lose any of them.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            sender, text = read_frame(sock), read_frame(sock)
        except (OSError, ValueError):
            break
        if sender is None or text is None:
            break
        if sender == "*" and text.startswith("in #"):
            break
    sock.close()


def main() -> None:
    if len(sys.argv) >= 6 and sys.argv[1] == "hold":
        hold(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    elif len(sys.argv) >= 6 and sys.argv[1] == "send":
        send(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5:])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(64)


if __name__ == "__main__":
    main()
