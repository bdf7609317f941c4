#!/usr/bin/python3
"""The chat page in a real headless Chromium (Debian's chromium + chromium-driver, driven by
Selenium) against a real chatd with http, framed and IRC listeners: two browser users, one
tutorial-protocol client and one IRC client chat in the lobby; history appears on join; an XSS attempt renders as
text; the page reconnects by itself after a daemon restart. Screenshots are saved to
ARTIFACT_DIR (and, with --readme-screenshot PATH, the two-users view for the README). Prints
PASS/FAIL per check; exits 1 on any failure.

  browser_chat.py CHATD_BINARY ARTIFACT_DIR [--readme-screenshot PATH]
"""
import os
import socket
import subprocess
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

failures = []


def check(name, ok, detail=""):
    print(f"{'PASS' if ok else 'FAIL'} {name}{'' if ok else ': ' + str(detail)}", flush=True)
    if not ok:
        failures.append(name)
    return ok


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait(predicate, timeout=15):
    """Polls `predicate` until it is truthy or the deadline passes; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except Exception:  # the page may be mid-render or mid-reconnect
            value = None
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(0.1)


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

    def until(self, sender, text, timeout=15):
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if (self.frame(deadline), self.frame(deadline)) == (sender, text):
                    return True
        except (socket.timeout, EOFError):
            pass
        return False


class IRC:
    """A bare IRC client (RFC 2812 registration, one channel), as irssi would speak it."""

    def __init__(self, port, nick):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
        self.send(f"NICK {nick}", f"USER {nick} 0 * :{nick}", "JOIN #lobby")

    def send(self, *lines):
        self.sock.sendall("".join(line + "\r\n" for line in lines).encode())

    def until(self, predicate, timeout=15):
        """Reads lines (answering PING) until one matches; returns it, or None at the deadline."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while b"\r\n" in self.buf:
                line, self.buf = self.buf.split(b"\r\n", 1)
                text = line.decode()
                if text.startswith("PING"):
                    self.send("PONG" + text[4:])
                if predicate(text):
                    return text
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            self.buf += chunk
        return None


class Daemon:
    def __init__(self, chatd, http_port, framed_port, irc_port, web_root, log):
        self.argv = [chatd, "--listen", f"http://127.0.0.1:{http_port}", "--listen", f"127.0.0.1:{framed_port}",
                     "--listen", f"irc://127.0.0.1:{irc_port}", "--server-name", "chatd.test",
                     "--web-root", web_root, "--threads", "2", "--history-store", "memory", "--history", "50",
                     "--shutdown-timeout", "1"]
        self.ports = (http_port, framed_port)
        self.log = log
        self.process = None

    def start(self):
        self.process = subprocess.Popen(self.argv, stdout=self.log, stderr=self.log)
        if not wait(lambda: socket.create_connection(("127.0.0.1", self.ports[0]), timeout=1).close() or True, 10):
            raise RuntimeError("chatd did not listen")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1100,720", "--force-device-scale-factor=1", "--lang=en-US"]:
        options.add_argument(argument)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def log_texts(driver):
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#messages .text")]


def status(driver):
    return driver.find_element(By.ID, "status").get_attribute("data-state")


def log_in(driver, url, nick):
    driver.get(url)
    field = wait(lambda: driver.find_element(By.ID, "nick-input") if driver.find_element(By.ID, "nick-input").is_displayed() else None)
    field.send_keys(nick, Keys.ENTER)
    return wait(lambda: status(driver) == "online")


def say(driver, text):
    box = driver.find_element(By.ID, "input")
    box.send_keys(text, Keys.ENTER)


def main(chatd, artifacts, readme_shot):
    os.makedirs(artifacts, exist_ok=True)
    here = os.path.dirname(os.path.abspath(__file__))
    web_root = os.path.normpath(os.path.join(here, "..", "..", "www"))
    log = tempfile.NamedTemporaryFile(prefix="chatd-browser-", suffix=".log", delete=False)
    http_port, framed_port, irc_port = free_port(), free_port(), free_port()
    daemon = Daemon(chatd, http_port, framed_port, irc_port, web_root, log)
    daemon.start()
    url = f"http://127.0.0.1:{http_port}/"
    drivers = []
    try:
        tutorial = Framed(framed_port, "tutorial")
        tutorial.send("welcome, history is kept here")
        # Once another client is replayed the message, it is in the lobby's history.
        check("the message is in the history", Framed(framed_port, "probe").until("tutorial", "welcome, history is kept here"))
        ada, grace = browser(), browser()
        drivers += [ada, grace]
        check("ada logs in (status online)", log_in(ada, url, "ada"))
        check("history appears on join",
              wait(lambda: "welcome, history is kept here" in log_texts(ada)), log_texts(ada))
        check("grace logs in (status online)", log_in(grace, url, "grace"))
        # The whole history (1 message of at most 50) was replayed: nothing older to offer.
        check("no 'Load older' when the replay is the whole history",
              not grace.find_element(By.ID, "older").is_displayed())

        say(ada, "hello from Chromium")
        check("the tutorial client gets the browser's message", tutorial.until("ada", "hello from Chromium"))
        check("the other browser shows it", wait(lambda: "hello from Chromium" in log_texts(grace)), log_texts(grace))
        tutorial.send("hi browsers, this is the tutorial client")
        for name, driver in [("ada", ada), ("grace", grace)]:
            check(f"{name} shows the tutorial client's message",
                  wait(lambda: "hi browsers, this is the tutorial client" in log_texts(driver)), log_texts(driver))
        irc = IRC(irc_port, "irene")
        check("the IRC client joins the lobby", irc.until(lambda l: " 366 irene #lobby " in l))
        check("the browsers see the IRC client arrive", wait(lambda: "joined #lobby" in log_texts(grace)), log_texts(grace))
        say(grace, "hi irene, from the browser")
        check("the IRC client gets the browser's message",
              irc.until(lambda l: l == ":grace!grace@web PRIVMSG #lobby :hi irene, from the browser"))
        irc.send("PRIVMSG #lobby :hello from IRC")
        for name, driver in [("ada", ada), ("grace", grace)]:
            check(f"{name} shows the IRC client's message", wait(lambda: "hello from IRC" in log_texts(driver)), log_texts(driver))
        check("the tutorial client gets the IRC client's message", tutorial.until("irene", "hello from IRC"))
        say(grace, "/me waves at everyone")
        check("an action reaches the tutorial client", tutorial.until("grace", "/me waves at everyone"))
        check("an action shows in the other browser", wait(lambda: "waves at everyone" in log_texts(ada)))

        if readme_shot:
            # Two browser users, the tutorial client and an IRC client in one room (README).
            grace.save_screenshot(readme_shot)
        attack = "<img src=x onerror=\"document.title='pwned'\">"
        tutorial.send(attack)
        check("an XSS attempt renders as text", wait(lambda: attack in log_texts(ada)), log_texts(ada))
        images = ada.find_elements(By.CSS_SELECTOR, "#messages img")
        check("no markup was created from it", not images and ada.title != "pwned", (len(images), ada.title))

        check("the member list is not printed on join", not any(t.startswith("in lobby:") for t in log_texts(grace)),
              log_texts(grace))
        say(grace, "/who")
        check("/who lists every protocol's users",
              wait(lambda: "in lobby: ada, grace, irene, tutorial" in log_texts(grace)), log_texts(grace))
        ada.save_screenshot(os.path.join(artifacts, "ada.png"))
        grace.save_screenshot(os.path.join(artifacts, "grace.png"))

        # The daemon restarts: the page sees the close, backs off, reconnects and says hello again.
        daemon.stop()
        check("the page notices the daemon is gone", wait(lambda: status(ada) != "online", 10), status(ada))
        daemon.start()
        check("the page reconnects by itself", wait(lambda: status(ada) == "online", 30), status(ada))
        check("the other page reconnects too", wait(lambda: status(grace) == "online", 30), status(grace))
        tutorial = Framed(framed_port, "tutorial")
        # The pages rejoin their rooms after the welcome; the lobby's member count shows all three.
        check("everyone is back in the lobby",
              wait(lambda: ada.find_element(By.CSS_SELECTOR, "#joined .count").text == "3", 15),
              ada.find_element(By.CSS_SELECTOR, "#joined").text)
        say(ada, "back after the restart")
        check("chat works after the reconnect", tutorial.until("ada", "back after the restart"))
        ada.save_screenshot(os.path.join(artifacts, "ada-after-restart.png"))
    finally:
        for driver in drivers:
            driver.quit()
        daemon.stop()
        if failures:
            print(open(log.name).read()[-4000:])
        os.unlink(log.name)


if __name__ == "__main__":
    args = sys.argv[1:]
    shot = None
    if "--readme-screenshot" in args:
        i = args.index("--readme-screenshot")
        shot = args[i + 1]
        del args[i:i + 2]
    main(args[0], args[1], shot)
    sys.exit(1 if failures else 0)
