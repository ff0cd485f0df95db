"""A real OpenAI-compatible model server on 127.0.0.1 (port 0) for tests: `GET /v1/models` and
`POST /v1/chat/completions`, streaming (SSE, one event per piece) or not, with scripted answers and failures.

    with FakeModelServer(pieces=["Hello", " there"]) as srv:
        OpenAIClient(srv.base).stream_chat([...])
        srv.requests[-1]["body"]["messages"]

`hang_after` pieces, a streamed answer waits (bounded) until the client goes away, and `disconnected` is set.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HANG_LIMIT_S = 30.0  # a hanging answer gives up after this, so a broken test cannot hang forever


@dataclass
class Script:
    models: list[str] = field(default_factory=lambda: ["tiny-chat"])
    pieces: list[str] = field(default_factory=lambda: ["Hello", " from", " the", " server."])
    finish_reason: str = "stop"
    status: int = 200  # a non-200 answers {"error": {"message": error}}
    error: str = "boom"
    hang_after: int | None = None
    mid_stream_error: str | None = None  # sent as an error event after the pieces
    reply_for: Any = None  # optional callable(body) -> list[str] of pieces


class FakeModelServer:
    def __init__(self, **script: Any) -> None:
        self.script = Script(**script)
        self.requests: list[dict[str, Any]] = []
        self.disconnected = threading.Event()
        self.first_piece_sent = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server._record(self, b"")
                if self.path == "/v1/models":
                    data = {
                        "object": "list",
                        "data": [{"id": m, "object": "model"} for m in server.script.models],
                    }
                    self._json(200, data)
                else:
                    self._json(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                body = server._record(self, raw)
                if self.path != "/v1/chat/completions":
                    self._json(404, {"error": {"message": "not found"}})
                    return
                script = server.script
                if body.get("model") not in script.models:
                    self._json(404, {"error": {"message": f"model '{body.get('model')}' not found"}})
                    return
                if script.status != 200:
                    self._json(script.status, {"error": {"message": script.error}})
                    return
                pieces = script.reply_for(body) if script.reply_for else script.pieces
                if not body.get("stream"):
                    message = {"role": "assistant", "content": "".join(pieces)}
                    choice = {"index": 0, "message": message, "finish_reason": script.finish_reason}
                    self._json(200, {"choices": [choice]})
                    return
                self._stream(body, pieces)

            def _stream(self, body: dict[str, Any], pieces: list[str]) -> None:
                script = server.script
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                try:
                    self.wfile.write(b": keep-alive\n\n")
                    for index, piece in enumerate(pieces):
                        if script.hang_after is not None and index == script.hang_after:
                            server._hang(self)
                            return
                        self._event(
                            {"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                        )
                        server.first_piece_sent.set()
                    if script.mid_stream_error:
                        self._event({"error": {"message": script.mid_stream_error}})
                        return
                    self._event(
                        {"choices": [{"index": 0, "delta": {}, "finish_reason": script.finish_reason}]}
                    )
                    self.wfile.write(b"data: [DONE]\n\n")
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    server.disconnected.set()
                self.close_connection = True

            def _event(self, data: dict[str, Any]) -> None:
                self.wfile.write(f"data: {json.dumps(data)}\n\n".encode())
                self.wfile.flush()

            def _json(self, status: int, data: dict[str, Any]) -> None:
                payload = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def _record(self, handler: BaseHTTPRequestHandler, raw: bytes) -> dict[str, Any]:
        body = json.loads(raw) if raw else {}
        headers = {k.lower(): v for k, v in handler.headers.items()}
        self.requests.append(
            {"method": handler.command, "path": handler.path, "headers": headers, "body": body}
        )
        return body

    def _hang(self, handler: BaseHTTPRequestHandler) -> None:
        """Wait (bounded) until the client closes the connection: a read returns b"" or fails."""
        handler.connection.settimeout(HANG_LIMIT_S)
        try:
            if handler.connection.recv(1) == b"":
                self.disconnected.set()
        except OSError:
            self.disconnected.set()

    def __enter__(self) -> FakeModelServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
