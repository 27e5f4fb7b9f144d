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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start(*args: str) -> subprocess.Popen:
    command = [sys.executable, "manage.py", *args]  # our own commands, with arguments from `make run`
    return subprocess.Popen(command, cwd=ROOT, start_new_session=True)  # noqa: S603


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except ProcessLookupError:
        pass  # the group has ended already
    except subprocess.TimeoutExpired:
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
        for process in processes:
            stop(process)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
