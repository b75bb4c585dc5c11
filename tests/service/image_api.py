"""A fake OpenAI image API on 127.0.0.1 for the service tests: real HTTP, real images, a delay
per product (matched in the prompt) and a count of calls per product."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from factories import studio_png_b64


class FakeImageAPI:
    """POST /v1/images/generations answered after `delays[name]` seconds for the first product
    name found in the prompt (else `default_delay`); `calls` counts requests per name."""

    def __init__(self, delays: dict[str, float] | None = None, default_delay: float = 0.0):
        self.delays = delays or {}
        self.default_delay = default_delay
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()
        bodies = {  # in the file format asked for, as the real API answers
            fmt: json.dumps({"created": 1, "data": [{"b64_json": studio_png_b64(4, fmt)}],
                             "output_format": fmt}).encode()
            for fmt in ("png", "jpeg")
        }  # fmt: skip
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                asked = json.loads(raw or b"{}")
                prompt = str(asked.get("prompt", ""))
                body = bodies[asked.get("output_format", "png")]
                name = next((n for n in api.delays if n in prompt), "other")
                with api._lock:
                    api.calls[name] += 1
                time.sleep(api.delays.get(name, api.default_delay))
                with contextlib.suppress(ConnectionError):  # the client gave up (cancelled)
                    self.send_response(200)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
