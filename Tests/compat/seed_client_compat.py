#!/usr/bin/env python3
"""Seed-compatibility check for chatd.

Two clients that send exactly the bytes the seed tutorial's client sends -- a 10-byte header
f"{len(x):<10}" (or, as some copies of the tutorial write it, f"{n: < 10}" with a leading
space), one send() per frame, a non-blocking socket and the tutorial's receive loop that
prints `user > text` -- chat through a running server, including multi-byte UTF-8 (header
lengths count bytes).

    seed_client_compat.py HOST PORT

Exits 0 only if both clients see each other's messages, in order. It sends no commands and
relies on no server notice, so it runs unchanged against the seed server itself.
"""

import errno
import socket
import sys
import time

HEADER_LENGTH = 10


class SeedClient:
    """The tutorial client, minus input(): same bytes on the wire, same receive loop."""

    def __init__(self, host, port, username, leading_space=False):
        self.username = username
        self.leading_space = leading_space
        self.seen = []
        self.closed = False
        self.client_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.client_socket.connect((host, port))
        self.client_socket.setblocking(False)
        name = username.encode('utf-8')
        self.client_socket.send(self.header(len(name)) + name)

    def header(self, n):
        if self.leading_space:
            return f"{n: < {HEADER_LENGTH}}".encode('utf-8')
        return f"{n:<{HEADER_LENGTH}}".encode('utf-8')

    def send(self, text):
        message = text.encode('utf-8')
        self.client_socket.send(self.header(len(message)) + message)

    def poll(self):
        """The tutorial's receive loop: read frames until EAGAIN."""
        try:
            while True:
                username_header = self.client_socket.recv(HEADER_LENGTH)
                if not len(username_header):
                    print(f'[{self.username}] Connection closed by the server')
                    self.closed = True
                    return
                username_length = int(username_header.decode('utf-8').strip())
                username = self.client_socket.recv(username_length).decode('utf-8')
                message_header = self.client_socket.recv(HEADER_LENGTH)
                message_length = int(message_header.decode('utf-8').strip())
                message = self.client_socket.recv(message_length).decode('utf-8')
                print(f'[{self.username}] {username} > {message}')
                self.seen.append((username, message))
        except IOError as e:
            if e.errno != errno.EAGAIN and e.errno != errno.EWOULDBLOCK:
                print(f'[{self.username}] Reading error: {e}')
                self.closed = True

    def chat_from(self, sender):
        return [text for (user, text) in self.seen if user == sender]

    def close(self):
        self.client_socket.close()


def wait_until(clients, condition, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for c in clients:
            c.poll()
        if condition():
            return True
        if any(c.closed for c in clients):
            return False
        time.sleep(0.02)
    return False


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    host, port = sys.argv[1], int(sys.argv[2])
    suffix = str(int(time.time() * 1000) % 100000)
    alice = SeedClient(host, port, 'alice' + suffix)                   # f"{n:<10}"
    bob = SeedClient(host, port, 'bøb' + suffix, leading_space=True)   # f"{n: < 10}", multi-byte name
    clients = [alice, bob]
    # chatd announces bob to alice; the seed says nothing. Either way bob is in after this.
    wait_until(clients, lambda: any(bob.username in text for (_, text) in alice.seen), 2)

    from_alice = ['hello bob', 'héllo wörld ✓', '日本語のメッセージ 🎉', 'x' * 300]
    from_bob = ['hi alice', 'ça va? ñandú', '🙂 emoji only 🙃', 'spaces   inside  ']
    for a, b in zip(from_alice, from_bob):
        alice.send(a)
        bob.send(b)
        time.sleep(0.05)

    ok = wait_until(
        clients,
        lambda: bob.chat_from(alice.username) == from_alice and alice.chat_from(bob.username) == from_bob,
        10)
    for c in clients:
        c.close()
    if not ok:
        print('FAIL: alice saw', alice.chat_from(bob.username), 'expected', from_bob)
        print('FAIL: bob saw', bob.chat_from(alice.username), 'expected', from_alice)
        return 1
    print('OK: both seed-style clients saw each other\'s messages')
    return 0


if __name__ == '__main__':
    sys.exit(main())
