"""A fault-injecting proxy on loopback, in front of a real OpenAI-compatible server.

A real server cannot fail on demand, so this proxy does it: each request takes the next mode
from ``plan`` (then ``forward``) and either relays it to the real server or misbehaves:

- ``forward``: relay request and response, streaming line by line;
- ``500`` / ``429``: answer with that status and an OpenAI-style error body;
- ``hang``: accept the request and never answer (until the client gives up);
- ``malformed``: a 200 event stream whose data is not JSON;
- ``cut``: relay the real stream, then drop the connection after a few events, as a server
  killed mid-reply does.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

CUT_AFTER_EVENTS = 3


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream)  # e.g. http://127.0.0.1:PORT/v1
        self.plan: deque[str] = deque()
        self.seen: list[str] = []  # the mode each request got, in order
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            # Chunked bodies: a connection dropped before the last chunk is a broken stream
            # to the client, not a normal end.
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                proxy._handle(self, b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                proxy._handle(self, self.rfile.read(length))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}{self.upstream.path}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def then(self, *modes: str) -> FaultProxy:
        with self._lock:
            self.plan.extend(modes)
        return self

    def reset(self) -> None:
        with self._lock:
            self.plan.clear()
            self.seen.clear()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _next(self) -> str:
        with self._lock:
            mode = self.plan.popleft() if self.plan else "forward"
            self.seen.append(mode)
            return mode

    def _handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        mode = self._next()
        if mode in {"500", "429"}:
            payload = json.dumps(
                {"error": {"message": f"injected {mode}", "type": "server_error"}}
            ).encode()
            handler.send_response(int(mode))
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            handler.send_header("Connection", "close")
            if mode == "429":
                handler.send_header("Retry-After", "0")
            handler.end_headers()
            handler.wfile.write(payload)
            return
        if mode == "hang":
            time.sleep(30)  # longer than any test's timeout; the client gives up first
            return
        if mode == "malformed":
            _start_chunked(handler, 200, [("Content-Type", "text/event-stream")])
            _chunk(handler, b'data: {"choices": [ {this is not json\n\n')
            _chunk(handler, b"")
            return
        self._relay(handler, body, cut=mode == "cut")

    def _relay(self, handler: BaseHTTPRequestHandler, body: bytes, cut: bool) -> None:
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=120)
        headers = {k: v for k, v in handler.headers.items() if k.lower() != "host"}
        conn.request(handler.command, handler.path, body=body or None, headers=headers)
        response = conn.getresponse()
        kept = [
            (k, v)
            for k, v in response.getheaders()
            if k.lower() not in {"transfer-encoding", "connection", "content-length"}
        ]
        _start_chunked(handler, response.status, kept)
        events = 0
        while line := response.readline():
            _chunk(handler, line)
            if line.startswith(b"data:"):
                events += 1
                if cut and events >= CUT_AFTER_EVENTS:
                    # Drop the socket before the last chunk, as a server killed mid-reply does.
                    handler.connection.shutdown(2)
                    conn.close()
                    return
        _chunk(handler, b"")
        conn.close()


def _start_chunked(handler: BaseHTTPRequestHandler, status: int, headers: list) -> None:
    handler.send_response(status)
    for key, value in headers:
        handler.send_header(key, value)
    handler.send_header("Transfer-Encoding", "chunked")
    handler.send_header("Connection", "close")
    handler.end_headers()


def _chunk(handler: BaseHTTPRequestHandler, data: bytes) -> None:
    """One chunk of a chunked body; empty data ends the body."""
    handler.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
    handler.wfile.flush()
