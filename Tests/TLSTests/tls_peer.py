#!/usr/bin/env python3
"""TLS peers for chatd's TLS tests: Python's ssl module and `openssl s_client`, against a
server on 127.0.0.1. Each mode prints one result line and exits 0 only if the peer saw what
it expected; every blocking call has a timeout.

  tls_peer.py echo PORT CAFILE [BIG_BYTES]   echo round trips (small messages, then one big one)
  tls_peer.py resume PORT CAFILE             second connection resumes with a session ticket
  tls_peer.py sclient PORT CAFILE            one echo round trip through `openssl s_client`
  tls_peer.py truncate PORT CAFILE           handshake, then half a record and FIN
"""
import os
import socket
import ssl
import subprocess
import sys
import time

TIMEOUT = 10


def context(cafile):
    ctx = ssl.create_default_context(cafile=cafile)  # verifies the chain and the host name
    return ctx


def connect(port, ctx, session=None):
    raw = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    return ctx.wrap_socket(raw, server_hostname="localhost", session=session)


def recv_exactly(s, n):
    out = bytearray()
    while len(out) < n:
        chunk = s.recv(min(65536, n - len(out)))
        if not chunk:
            raise RuntimeError(f"connection closed after {len(out)} of {n} bytes")
        out += chunk
    return bytes(out)


def echo(port, cafile, big=100_000):
    s = connect(port, context(cafile))
    for i in range(50):
        msg = f"message {i} over TLS\n".encode()
        s.sendall(msg)
        got = recv_exactly(s, len(msg))
        assert got == msg, (got, msg)
    payload = bytes((i * 7 + i // 251) & 0xFF for i in range(big))
    s.sendall(payload)
    got = recv_exactly(s, len(payload))
    assert got == payload, "big echo differs"
    version, cipher = s.version(), s.cipher()[0]
    s.unwrap()  # close_notify
    s.close()
    print(f"OK {version} {cipher}")


def resume(port, cafile):
    ctx = context(cafile)
    s = connect(port, ctx)
    s.sendall(b"ping")
    recv_exactly(s, 4)  # the tickets come with the server's first write
    session = s.session
    s.close()
    s2 = connect(port, ctx, session=session)
    s2.sendall(b"pong")
    recv_exactly(s2, 4)
    reused = s2.session_reused
    s2.close()
    print(f"REUSED {reused}")
    if not reused:
        sys.exit(1)


def sclient(port, cafile):
    p = subprocess.Popen(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile", cafile,
         "-verify_return_error", "-verify_hostname", "localhost", "-quiet"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    line = b"hello from openssl s_client\n"
    p.stdin.write(line)
    p.stdin.flush()
    seen = b""
    deadline = time.monotonic() + TIMEOUT
    os.set_blocking(p.stdout.fileno(), False)
    while line not in seen and time.monotonic() < deadline:
        try:
            chunk = os.read(p.stdout.fileno(), 4096)
            if not chunk and p.poll() is not None:
                break
            seen += chunk or b""
        except BlockingIOError:
            time.sleep(0.01)
    p.kill()
    p.wait()
    if line not in seen:
        print(f"FAIL s_client output: {seen!r}")
        sys.exit(1)
    print("OK s_client echo")


def truncate(port, cafile):
    s = connect(port, context(cafile))
    s.sendall(b"x")
    recv_exactly(s, 1)
    raw = socket.socket(fileno=os.dup(s.fileno()))
    raw.sendall(bytes([0x17, 0x03, 0x03, 0x00, 0x40]) + b"\x07" * 20)  # half an app-data record
    raw.shutdown(socket.SHUT_WR)
    raw.close()
    s.close()
    print("OK truncated")


if __name__ == "__main__":
    mode, port, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if mode == "echo":
        echo(port, cafile, *(int(a) for a in sys.argv[4:]))
    elif mode == "resume":
        resume(port, cafile)
    elif mode == "sclient":
        sclient(port, cafile)
    elif mode == "truncate":
        truncate(port, cafile)
    else:
        sys.exit(f"unknown mode {mode}")
