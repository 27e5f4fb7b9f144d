"""`make run`'s last step: the development site and its background work, started and stopped together.

runserver, a task worker (`manage.py db_worker`, which reloads on code changes as DEBUG is on) and the scheduler
(`manage.py run_scheduler`), each in a process group of its own: a reloader's parent and child get the same signal,
and Ctrl-C reaches this script alone, which then stops all three with SIGTERM. Django's reloader stops the worker
at once, not after the task under way: such a task's result stays RUNNING until the prune records it as failed a
day later (kloudsso/scheduler/tasks.py). Arguments go to runserver, e.g. 127.0.0.1:8000.
"""

import os
import signal
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start(*args: str) -> subprocess.Popen:
    command = [sys.executable, "manage.py", *args]  # our own commands, with arguments from `make run`
    return subprocess.Popen(command, cwd=ROOT, start_new_session=True)  # noqa: S603


def stop(processes: list[subprocess.Popen]) -> None:
    """SIGTERM to every group at once, then SIGKILL to those still there after 30 seconds."""
    for process in processes:
        with suppress(ProcessLookupError):  # the group has ended already
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    for process in processes:
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0))
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)


def _exit(signum, frame):
    raise SystemExit(0)  # the terminal closing (SIGHUP) or a kill: stop the others too, below


def main(runserver_args: list[str]) -> int:
    signal.signal(signal.SIGTERM, _exit)
    signal.signal(signal.SIGHUP, _exit)
    processes = [start("db_worker"), start("run_scheduler"), start("runserver", *runserver_args)]
    try:
        return processes[-1].wait()  # runserver ending (it failed to start, say) ends the others too
    except KeyboardInterrupt:
        return 0
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            # A second Ctrl-C would cut the stopping short, leaving the rest running.
            signal.signal(signum, signal.SIG_IGN)
        stop(processes)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
