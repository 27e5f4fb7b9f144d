"""Worker CPU time and memory, read from /proc: what the gunicorn workers spent, not what the bench spent.

utime+stime+cutime+cstime: cutime/cstime hold the children a worker waited for (the xmlsec1 processes stock pysaml2
runs), so moving work into or out of a subprocess does not change what is counted.
"""

import os
from dataclasses import dataclass
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.extend(int(p) for p in text)
    return sorted(found)


def _ticks(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    rest = stat[stat.rindex(")") + 2 :].split()  # comm may hold spaces; fields resume after ") "
    # rest[0] is field 3 (state): utime, stime, cutime, cstime are fields 14..17.
    return sum(int(rest[n - 3]) for n in (14, 15, 16, 17))


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass(frozen=True)
class Snapshot:
    ticks: dict[int, int]

    def seconds_since(self, earlier: "Snapshot") -> float:
        if set(self.ticks) != set(earlier.ticks):
            raise RuntimeError(f"gunicorn workers changed during a measurement: {earlier.ticks} -> {self.ticks}")
        return sum(self.ticks[p] - earlier.ticks[p] for p in self.ticks) / CLK_TCK


class Workers:
    """The workers of one gunicorn master."""

    def __init__(self, master_pid: int):
        self.master_pid = master_pid

    def pids(self) -> list[int]:
        return children(self.master_pid)

    def snapshot(self) -> Snapshot:
        return Snapshot({pid: _ticks(pid) for pid in self.pids()})

    def rss(self) -> dict[int, float]:
        return {pid: rss_mb(pid) for pid in self.pids()}


class Meter:
    """Adds up worker CPU over measured windows only (`with meter:`), with the count of what they served."""

    def __init__(self, workers: Workers):
        self.workers = workers
        self.seconds = 0.0
        self._start = None

    def __enter__(self):
        self._start = self.workers.snapshot()
        return self

    def __exit__(self, *exc):
        self.seconds += self.workers.snapshot().seconds_since(self._start)
