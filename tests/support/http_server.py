"""A real HTTP(S) server on 127.0.0.1 for tests: serves canned documents, slow answers, redirects."""

import ssl
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from connections.sp import generate_key_pair


@dataclass
class Route:
    body: bytes
    status: int = 200
    content_type: str = "application/json"
    delay: float = 0.0
    headers: dict | None = None


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        route = self.server.routes.get(self.path)
        if route is None:
            route = Route(b"not found", status=404, content_type="text/plain")
        self.server.requests.append(self.path)
        self.server.headers_received.append(dict(self.headers))
        if route.delay:
            time.sleep(route.delay)
        try:
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(len(route.body)))
            for name, value in (route.headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(route.body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.server.bodies.append(self.rfile.read(length))
        self.do_GET()

    def log_message(self, *args):
        pass


class LocalServer:
    def __init__(self, *, tls: bool = False, tmp_path: Path | None = None):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.routes = {}
        self.httpd.requests = []
        self.httpd.bodies = []
        self.httpd.headers_received = []  # each request's headers, in the order of `requests`
        self.scheme = "http"
        if tls:
            self.scheme = "https"
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            cert_file, key_file = _self_signed(tmp_path)
            context.load_cert_chain(cert_file, key_file)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def serve(self, path: str, body, **kwargs) -> str:
        self.httpd.routes[path] = Route(body.encode() if isinstance(body, str) else body, **kwargs)
        return self.url(path)

    @property
    def requests(self) -> list[str]:
        return self.httpd.requests

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def _self_signed(tmp_path: Path):
    certificate_pem, key_pem = generate_key_pair(common_name="127.0.0.1", days=1)
    cert_file, key_file = tmp_path / "server.crt", tmp_path / "server.key"
    cert_file.write_text(certificate_pem)
    key_file.write_text(key_pem)
    return cert_file, key_file
