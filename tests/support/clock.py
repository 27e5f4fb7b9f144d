"""A clock the tests can move on: time.time(), which the back-off and the local-memory cache's expiry both read.

A test module makes it a fixture: `Clock(monkeypatch)`.
"""

import time


class Clock:
    def __init__(self, monkeypatch):
        self.offset, real = 0.0, time.time
        monkeypatch.setattr(time, "time", lambda: real() + self.offset)

    def advance(self, seconds: float) -> None:
        self.offset += seconds
