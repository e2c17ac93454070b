"""A real HTTP server on loopback that serves whatever a test puts in its routes."""

import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    # Statuses to answer first, one per request, before the normal answer (e.g. [503, 429]).
    failures: list[int] = field(default_factory=list)


class LocalServer:
    def __init__(self):
        self.routes: dict[str, Route] = {}
        self.hits: Counter = Counter()
        self.user_agents: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                path = self.path.split("?")[0]
                server.hits[path] += 1
                server.user_agents.append(self.headers.get("User-Agent", ""))
                route = server.routes.get(path)
                if route is None:
                    return self._answer(404, {}, b"not found")
                if route.failures:
                    return self._answer(route.failures.pop(0), {"Retry-After": "0"}, b"busy")
                return self._answer(route.status, route.headers, route.body)

            def _answer(self, status, headers, body):
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def add(self, path: str, **route) -> str:
        self.routes[path] = Route(**route)
        return self.base_url + path

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def local_server():
    server = LocalServer()
    yield server
    server.close()
