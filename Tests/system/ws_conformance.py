#!/usr/bin/python3
"""The browser protocol checked with an independent WebSocket implementation: the `websockets`
library (Debian's python3-websockets, the PyPI package) against a real chatd with an http and a
framed listener (and an https one: wss:// through TLS). Handshake and subprotocol, chat with a tutorial-protocol (framed) client both
ways, client pings, a fragmented message, and the close codes of RFC 6455 §7.4.1 for oversize,
invalid UTF-8, binary and unmasked frames, a refused Origin, and a clean close. Prints PASS/FAIL
per check; exits 1 on any failure.

  ws_conformance.py CHATD_BINARY
"""
import asyncio
import base64
import json
import os
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time

import websockets

MAX_MESSAGE = 4096
failures = []


def check(name, ok, detail=""):
    print(f"{'PASS' if ok else 'FAIL'} {name}{'' if ok else ': ' + str(detail)}", flush=True)
    if not ok:
        failures.append(name)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Framed:
    """The tutorial protocol: a 10-byte ASCII length header, then the payload."""

    def __init__(self, port, name):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
        self.send(name)

    def send(self, text):
        data = text.encode()
        self.sock.sendall(f"{len(data):<10}".encode() + data)

    def frame(self, deadline):
        while True:
            if len(self.buf) >= 10:
                n = int(self.buf[:10].decode().strip())
                if len(self.buf) >= 10 + n:
                    payload, self.buf = self.buf[10:10 + n], self.buf[10 + n:]
                    return payload.decode()
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("closed")
            self.buf += chunk

    def until(self, sender, text, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = (self.frame(deadline), self.frame(deadline))
            if got == (sender, text):
                return True
        return False


async def until(ws, predicate, timeout=10):
    async def loop():
        while True:
            message = json.loads(await ws.recv())
            if predicate(message):
                return message
    return await asyncio.wait_for(loop(), timeout)


async def hello(url, nick, **kwargs):
    ws = await websockets.connect(url, subprotocols=["chatd.v1"], max_size=None, **kwargs)
    await ws.send(json.dumps({"type": "hello", "nick": nick}))
    await until(ws, lambda m: m["type"] == "welcome")
    return ws


async def close_code_after(url, nick, action):
    """Opens a session, runs `action(ws)`, and returns the code of the server's Close frame."""
    ws = await hello(url, nick)
    await action(ws)
    try:
        await asyncio.wait_for(ws.wait_closed(), 10)
    except asyncio.TimeoutError:
        return None
    return ws.close_code


def raw_upgrade(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    return s, head.split(b"\r\n")[0].decode()


async def main(chatd):
    http_port, framed_port, https_port = free_port(), free_port(), free_port()
    log = tempfile.NamedTemporaryFile(prefix="chatd-ws-", suffix=".log", delete=False)
    here = os.path.dirname(os.path.abspath(__file__))
    certs = tempfile.mkdtemp(prefix="chatd-ws-tls-")
    cert, key = os.path.join(certs, "cert.pem"), os.path.join(certs, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    daemon = subprocess.Popen(
        [chatd, "--listen", f"http://127.0.0.1:{http_port}", "--listen", f"127.0.0.1:{framed_port}",
         "--listen", f"https://127.0.0.1:{https_port}", "--tls-cert", cert, "--tls-key", key,
         "--web-root", os.path.join(here, "..", "..", "www"), "--threads", "2", "--history-store", "memory",
         "--max-message-bytes", str(MAX_MESSAGE), "--msg-rate", "0", "--shutdown-timeout", "1"],
        stdout=log, stderr=log)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", http_port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        url = f"ws://127.0.0.1:{http_port}/ws"

        ws = await websockets.connect(url, subprotocols=["chatd.v1"])
        check("handshake selects chatd.v1", ws.subprotocol == "chatd.v1", ws.subprotocol)
        await ws.send(json.dumps({"type": "hello", "nick": "wsuser"}))
        welcome = await until(ws, lambda m: m["type"] in ("welcome", "error"))
        check("hello is welcomed", welcome == {"type": "welcome", "nick": "wsuser", "server": "chatd"}, welcome)

        await ws.send(json.dumps({"type": "join", "room": "lobby"}))
        who = await until(ws, lambda m: m["type"] == "who")
        check("join lists the members", who["members"] == ["wsuser"], who)
        framed = Framed(framed_port, "tutorial")
        joined = await until(ws, lambda m: m["type"] == "join")
        check("browser sees the framed client join", joined["from"] == "tutorial" and joined["room"] == "lobby", joined)
        await ws.send(json.dumps({"type": "say", "room": "lobby", "text": "hello from websockets ✓"}))
        check("framed client gets the browser's message",
              await asyncio.to_thread(framed.until, "wsuser", "hello from websockets ✓"))
        framed.send("hello from the tutorial client")
        got = await until(ws, lambda m: m["type"] == "message" and m["from"] == "tutorial")
        check("browser gets the framed message with time and seq",
              got["text"] == "hello from the tutorial client" and got["room"] == "lobby"
              and isinstance(got["seq"], int) and got["time"] > 1_600_000_000_000, got)

        pong = await ws.ping(b"conformance")
        try:
            await asyncio.wait_for(pong, 5)
            check("ping is answered with a pong", True)
        except asyncio.TimeoutError:
            check("ping is answered with a pong", False, "no pong in 5 s")

        # A message in three fragments (RFC 6455 §5.4) is one chatd.v1 message.
        text = json.dumps({"type": "say", "room": "lobby", "text": "fragmented"})
        await ws.send([text[:7], text[7:20], text[20:]])
        check("a fragmented message arrives whole", await asyncio.to_thread(framed.until, "wsuser", "fragmented"))

        await ws.close(1000, "done")
        check("clean close echoes 1000", ws.close_code == 1000, ws.close_code)

        code = await close_code_after(url, "big", lambda w: w.send("x" * (MAX_MESSAGE + 1)))
        check("oversize message closes with 1009", code == 1009, code)
        code = await close_code_after(url, "utf8", lambda w: w.write_frame(True, 0x1, b'{"type":"\xc3\x28"}'))
        check("invalid UTF-8 closes with 1007", code == 1007, code)
        code = await close_code_after(url, "binary", lambda w: w.send(b"\x00\x01"))
        check("binary closes with 1003", code == 1003, code)

        # Frames the library refuses to build: written by hand on a raw upgraded socket.
        for name, frame in [
            ("unmasked client frame closes with 1002", b"\x81\x02{}"),  # a client MUST mask (§5.1)
            ("control frame over 125 bytes closes with 1002", b"\x89\xfe\x00\x7e\x00\x00\x00\x00" + b"p" * 126),
        ]:
            s, status = raw_upgrade(http_port)
            check("raw upgrade without a subprotocol is accepted", status == "HTTP/1.1 101 Switching Protocols", status)
            s.sendall(frame)
            reply = s.recv(64)
            check(name, reply[:1] == b"\x88" and struct.unpack(">H", reply[2:4])[0] == 1002, reply)
            s.close()

        try:
            await websockets.connect(url, subprotocols=["chatd.v1"], origin="https://evil.example")
            check("foreign Origin is refused", False, "connected")
        except websockets.exceptions.InvalidStatusCode as error:
            check("foreign Origin is refused with 403", error.status_code == 403, error.status_code)
        ok = await websockets.connect(url, subprotocols=["chatd.v1"], origin=f"http://127.0.0.1:{http_port}")
        check("same-host Origin is accepted", ok.open)
        await ok.close()

        # The daemon is unharmed: a fresh browser session and the framed client still chat.
        ws = await hello(url, "after")
        await ws.send(json.dumps({"type": "join", "room": "lobby"}))
        await until(ws, lambda m: m["type"] == "history")
        framed.send("still here")
        got = await until(ws, lambda m: m["type"] == "message")
        check("daemon healthy afterwards", got["text"] == "still here", got)
        await ws.close()

        # https:// is the same service inside TLS: the page over HTTPS and wss:// chat.
        context = ssl.create_default_context(cafile=cert)
        with socket.create_connection(("127.0.0.1", https_port), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname="localhost") as tls:
                tls.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                answer = b""
                while chunk := tls.recv(4096):
                    answer += chunk
        check("https:// serves over TLS", answer.startswith(b"HTTP/1.1 200 OK") and answer.endswith(b"ok\n"), answer[:80])
        secure = await websockets.connect(f"wss://localhost:{https_port}/ws", subprotocols=["chatd.v1"], ssl=context,
                                          origin=f"https://localhost:{https_port}")
        await secure.send(json.dumps({"type": "hello", "nick": "secure"}))
        await until(secure, lambda m: m["type"] == "welcome")
        await secure.send(json.dumps({"type": "join", "room": "lobby"}))
        await until(secure, lambda m: m["type"] == "history")
        await secure.send(json.dumps({"type": "say", "room": "lobby", "text": "over wss"}))
        check("wss:// chat reaches the framed client", await asyncio.to_thread(framed.until, "secure", "over wss"))
        await secure.close()
        check("wss:// closes cleanly", secure.close_code == 1000, secure.close_code)
    finally:
        daemon.terminate()
        try:
            daemon.wait(10)
        except subprocess.TimeoutExpired:
            daemon.kill()
        if failures:
            print(open(log.name).read()[-4000:])
        os.unlink(log.name)
        for name in (cert, key):
            os.unlink(name)
        os.rmdir(certs)


if __name__ == "__main__":
    asyncio.run(asyncio.wait_for(main(sys.argv[1]), 100))
    sys.exit(1 if failures else 0)
