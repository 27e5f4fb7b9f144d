"""HAProxy (Debian's package) on 127.0.0.1 in front of app servers, in the foreground as a child process.

Its configuration is the one a production deployment would start from: health checks on /healthz (every server
shares the database and Redis, so /readyz would take them all out together), a short connect timeout with retries
that go to another server (option redispatch), a request id for the app servers' access logs.
Every answer, its own 502/503 included, names the server that gave it in X-Served-By ("-" when none did). Its log
(one line per request, without query strings) goes to the log file given.

In its default `http-reuse safe` mode, HAProxy closes a kept-alive client connection without an answer when the
server connection it sent the request on dies before answering: "the browser can decide to silently retry it", as
it does whenever a kept-alive connection closes under a request (HAProxy's documentation of http-reuse). The test
client does the same (tests/support/http_signins.py).
"""

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import requests

from tests.support.gunicorn_server import free_port

BINARY = shutil.which("haproxy") or "/usr/sbin/haproxy"  # /usr/sbin is not on every user's PATH

CONFIG = """\
global
    maxconn 500
    stats socket {socket} mode 600 level admin
    log stdout format raw local0

defaults
    mode http
    log global
    # httplog's format without the query string (an authorization code, a state)
    log-format "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq \\"%HM %HPO %HV\\""
    timeout connect 250ms   # a server that is gone refuses at once; one that hangs must not hold requests long
    timeout client 30s
    timeout server 35s      # above gunicorn's 30 s timeout: gunicorn gives up on a request first
    timeout check 2s
    retries 3
    option redispatch 1     # every retry after a failed connection tries another server

frontend site
    bind 127.0.0.1:{port}
    unique-id-format %{{+X}}o%ci:%cp_%fi:%fp_%Ts_%rt
    unique-id-header X-Request-ID
    default_backend app

backend app
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    # A server that comes back gets its share over slowstart: each of its workers' first requests takes seconds
    # (imports, templates), and the health checks queued behind them must not time out (timeout check) three
    # times in a row (fall), or a busy server would be taken out for being cold.
    default-server check inter 250ms fall 3 rise 2 slowstart 5s
    http-after-response set-header X-Served-By %[srv_name]
{servers}
"""


def available() -> str | None:
    return None if Path(BINARY).is_file() else "haproxy is not installed (Debian: apt-get install haproxy)"


class HAProxy:
    """`servers` maps a name to an app server's port. `start()` waits until every server is up."""

    def __init__(self, servers: dict[str, int], log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.folder = Path(tempfile.mkdtemp(prefix="kloudsso-haproxy-"))
        self.socket = self.folder / "admin.sock"
        self.log = log
        lines = "\n".join(f"    server {name} 127.0.0.1:{port}" for name, port in servers.items())
        (self.folder / "haproxy.cfg").write_text(CONFIG.format(socket=self.socket, port=self.port, servers=lines))
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 20) -> "HAProxy":
        with self.log.open("a") as out:
            self.process = subprocess.Popen(
                [BINARY, "-db", "-f", str(self.folder / "haproxy.cfg")],  # -db: foreground, no daemon
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.wait_until(lambda states: states and all(s == "UP" for s in states.values()), timeout)
        requests.get(self.url + "/healthz", timeout=5).raise_for_status()
        return self

    def states(self) -> dict[str, str]:
        """Each server's state as HAProxy sees it: UP, DOWN, or a transition ("UP 1/2")."""
        if self.process is None or self.process.poll() is not None:
            raise RuntimeError(f"haproxy is not running: {self.log.read_text()}")
        try:
            with socket.socket(socket.AF_UNIX) as admin:
                admin.settimeout(2)
                admin.connect(str(self.socket))
                admin.sendall(b"show stat\n")
                raw = b"".join(iter(lambda: admin.recv(65536), b""))
        except OSError:  # not listening yet
            return {}
        header, *rows = raw.decode().strip().lstrip("# ").splitlines()
        columns = header.split(",")
        stats = [dict(zip(columns, row.split(","), strict=False)) for row in rows]
        return {s["svname"]: s["status"] for s in stats if s["pxname"] == "app" and s["svname"] != "BACKEND"}

    def wait_until(self, condition, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not condition(self.states()):
            if time.monotonic() > deadline:
                raise RuntimeError(f"haproxy's servers: {self.states()} after {timeout} s\n{self.log.read_text()}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)
