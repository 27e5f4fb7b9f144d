"""A real Redis on 127.0.0.1, as production's CACHE_URL, for what must hold on Redis and not only in memory."""

import shutil
import socket
import subprocess
import tempfile
import time

import pytest


def available() -> str | None:
    return None if shutil.which("redis-server") else "redis-server is not installed"


class LocalRedis:
    def __init__(self):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.folder = tempfile.mkdtemp(prefix="kloudsso-redis-")
        self.start()

    def start(self) -> None:
        """Run redis-server on this port (again, after stop(): empty, as it saves nothing) and wait for it."""
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--dir", self.folder],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.close()
        raise RuntimeError("redis-server did not start within 10 seconds")

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """Stop the server, as an outage would; start() brings it back on the same port."""
        self.process.terminate()
        self.process.wait(timeout=10)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="module")
def redis_server():
    reason = available()
    if reason:
        pytest.skip(reason)
    server = LocalRedis()
    yield server
    server.close()


@pytest.fixture
def redis_cache(redis_server, settings):
    """The default cache on the real Redis, emptied."""
    from django.core.cache import cache

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_server.url}
    }
    cache.clear()
    return cache
