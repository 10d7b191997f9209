"""A hybrid logical clock: stamps that order changes across devices that sync.

A stamp is ``<physical ms, 13 digits>.<counter, 5 digits>.<device>`` so that plain string
comparison orders stamps; the counter breaks ties within a millisecond, and a stamp never
goes backwards even if the wall clock does (``observe`` folds in stamps seen from others).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class HybridLogicalClock:
    def __init__(self, device_id: str, wall_ms: Callable[[], int] | None = None) -> None:
        self.device_id = device_id
        self._wall_ms = wall_ms or (lambda: time.time_ns() // 1_000_000)
        self._physical = 0
        self._counter = 0
        self._lock = threading.Lock()

    def now(self) -> str:
        """A new stamp, greater than every stamp this clock made or observed."""
        with self._lock:
            wall = self._wall_ms()
            if wall > self._physical:
                self._physical, self._counter = wall, 0
            else:
                self._counter += 1
            return self._format()

    def observe(self, stamp: str) -> None:
        """Fold in a stamp made elsewhere, so later local stamps sort after it."""
        physical, counter, _ = stamp.split(".", 2)
        with self._lock:
            remote = (int(physical), int(counter))
            if remote > (self._physical, self._counter):
                self._physical, self._counter = remote

    def _format(self) -> str:
        return f"{self._physical:013d}.{self._counter:05d}.{self.device_id}"
