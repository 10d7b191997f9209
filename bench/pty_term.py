"""A program in a pseudo-terminal, its screen kept by a terminal emulator (pyte).

Used by the benchmarks that time what a person sees: the first painted queue, and the
time from a key to its repaint. A reader thread stamps each chunk of output with the
wall clock as it arrives and feeds it to the emulator, so a wait can ask "when did the
screen first show X" and "when did the output stop".

Not a test helper: timings live in ``bench/``.
"""

from __future__ import annotations

import fcntl
import os
import struct
import subprocess
import termios
import threading
import time
from collections.abc import Callable, Sequence

import pyte

KEYS = {
    "down": b"\x1b[B",
    "up": b"\x1b[A",
    "pagedown": b"\x1b[6~",
    "pageup": b"\x1b[5~",
    "enter": b"\r",
    "escape": b"\x1b",
    "ctrl+q": b"\x11",
}
CLK_TCK = os.sysconf("SC_CLK_TCK")


class Timeout(RuntimeError):
    pass


class Term:
    """``argv`` run in a pty of ``cols`` x ``rows``; ``.text()`` is the screen now."""

    def __init__(self, argv: Sequence[str], env: dict[str, str], cols: int = 120,
                 rows: int = 40) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            list(argv), stdin=slave, stdout=slave, stderr=slave, env=env,
            start_new_session=True, close_fds=True)
        os.close(slave)
        self.fd = master
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.lock = threading.Condition()
        self.last_output = self.started
        self.cpu_at_last_output = 0.0
        """The program's CPU time read as that output arrived (not later, when the
        waiting thread wakes: by then it may be working on what follows)."""
        self.chunks = 0
        self.closed = False
        self.raw = bytearray()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                data = b""
            now = time.perf_counter()
            cpu = self.cpu_seconds() if data else 0.0
            with self.lock:
                if not data:
                    self.closed = True
                    self.lock.notify_all()
                    return
                self.raw += data
                self.stream.feed(data)
                self.last_output = now
                self.cpu_at_last_output = cpu
                self.chunks += 1
                self.lock.notify_all()

    # ------------------------------------------------------------------ reading

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def wait(self, ready: Callable[[str], bool], *, quiet: float = 0.12,
             timeout: float = 60.0) -> float:
        """Wait until ``ready(screen text)`` holds and no output came for ``quiet`` s.

        Returns the perf_counter time of the last output before that quiet: when the
        repaint the condition waited for was complete.
        """
        deadline = time.perf_counter() + timeout
        with self.lock:
            while True:
                now = time.perf_counter()
                if ready(self.text()) and now - self.last_output >= quiet:
                    return self.last_output
                if now > deadline:
                    raise Timeout(f"screen never settled as expected:\n{self.text()}")
                if self.closed:
                    raise Timeout(f"the program ended:\n{self.text()}")
                self.lock.wait(max(0.005, quiet - (now - self.last_output)))

    def settle(self, quiet: float = 0.4, timeout: float = 30.0) -> None:
        """Wait until nothing has been written for ``quiet`` seconds."""
        self.wait(lambda _text: True, quiet=quiet, timeout=timeout)

    # ------------------------------------------------------------------ writing

    def press(self, key: str) -> float:
        """Send a key; returns the perf_counter time it was sent."""
        sent = time.perf_counter()
        os.write(self.fd, KEYS.get(key, key.encode()))
        return sent

    def cpu_seconds(self) -> float:
        """CPU time (user + system, all threads) the program has used so far."""
        try:
            with open(f"/proc/{self.process.pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.press("ctrl+q")
                self.process.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        self.reader.join(2)
        os.close(self.fd)
