"""A fake OpenAI API on a local pytest-httpserver: handlers reproducing the documented contract."""

from __future__ import annotations

import base64
import io
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

IMAGES = "/v1/images/generations"
EDITS = "/v1/images/edits"
PAINTED = (30, 120, 200)  # the colour the fake edits endpoint paints the scene in
CHAT = "/v1/chat/completions"
GPT_IMAGE_SIZES = {"1024x1024", "1536x1024", "1024x1536", "auto"}
DALLE3_SIZES = {"1024x1024", "1792x1024", "1024x1792"}


def png_b64(width: int, height: int) -> str:
    """A real PNG of that size, base64-encoded as the API sends it."""
    return encoded_b64(Image.new("RGB", (width, height), (200, 40, 90)))


def encoded_b64(image: Image.Image, output_format: str = "png", compression: int = 100) -> str:
    """The image in the file format asked for (`output_format`, `output_compression`),
    base64-encoded as the API sends it."""
    buf = io.BytesIO()
    if output_format == "png":
        image.save(buf, "PNG", compress_level=1)
    else:
        image.save(buf, "JPEG" if output_format == "jpeg" else "WEBP", quality=compression)
    return base64.b64encode(buf.getvalue()).decode()


def _output_error(fields: dict[str, object]) -> Response | None:
    """The answer the API gives to an output format or compression it does not take (§1.2)."""
    fmt, compression = fields.get("output_format", "png"), fields.get("output_compression")
    if fmt not in ("png", "jpeg", "webp"):
        msg = f"Invalid value: '{fmt}'. Supported values are: 'png', 'jpeg', and 'webp'."
        return _json(error_body(msg, "invalid_request_error", "invalid_value", "output_format"),
                     400)  # fmt: skip
    if compression is not None and (fmt == "png" or not 0 <= int(str(compression)) <= 100):
        msg = "output_compression is only supported for jpeg and webp, from 0 to 100."
        return _json(error_body(msg, "invalid_request_error", "invalid_value",
                                "output_compression"), 400)  # fmt: skip
    return None


def _encoded(image: Image.Image, fields: dict[str, object]) -> str:
    fmt = str(fields.get("output_format", "png"))
    return encoded_b64(image, fmt, int(str(fields.get("output_compression", 100))))


def _json(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status, headers, content_type="application/json")


def error_body(message: str, type_: str, code: str | None, param: str | None = None) -> dict:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def _images(request: Request) -> Response:
    """POST /v1/images/generations as §1.2/§1.4 describe, validating what the real API validates."""
    body = request.get_json()
    model, size = body.get("model", "dall-e-2"), body.get("size", "1024x1024")
    gpt = str(model).startswith("gpt-image")
    if gpt and "response_format" in body:  # GPT image models reject the field outright
        msg = "Unknown parameter: 'response_format'."
        return _json(error_body(msg, "invalid_request_error", "unknown_parameter"), 400)
    if size not in (GPT_IMAGE_SIZES if gpt else DALLE3_SIZES) or body.get("n", 1) != 1:
        msg = f"Invalid value: '{size}'."
        return _json(error_body(msg, "invalid_request_error", "invalid_value", "size"), 400)
    if gpt and (wrong := _output_error(body)) is not None:
        return wrong
    width, height = (1024, 1024) if size == "auto" else map(int, size.split("x"))
    if gpt:  # GPT image models answer in the format asked for; dall-e in PNG
        item = {"b64_json": _encoded(Image.new("RGB", (width, height), (200, 40, 90)), body)}
    elif body.get("response_format") == "b64_json":
        item = {"b64_json": png_b64(width, height)}
    else:  # dall-e's default: a URL, which this client must not ask for
        item = {"url": "https://example.invalid/img.png", "revised_prompt": body["prompt"]}
    answer: dict[str, object] = {"created": 1713833628, "data": [item]}
    if gpt:
        answer |= {
            "size": size,
            "quality": body.get("quality", "medium"),
            "output_format": body.get("output_format", "png"),
            "usage": {
                "input_tokens": 50,
                "output_tokens": 1056,
                "total_tokens": 1106,
                "input_tokens_details": {"text_tokens": 50, "image_tokens": 0},
            },
        }
    return _json(answer, headers={"x-request-id": "req_fake123"})


@dataclass
class EditCall:
    """What one edits request carried (uploads are gone once the request is answered)."""

    form: dict[str, str]
    image: bytes
    mask: bytes | None


def _edits(request: Request, calls: list[EditCall]) -> Response:
    """POST /v1/images/edits (multipart) as §1.3/§1.4 describe: the image and the mask must be
    PNGs of the same size; the answer is the scene painted in PAINTED everywhere the mask is
    transparent, the input image kept where it is opaque."""
    form, files = request.form, request.files
    raw = {name: files[name].read() for name in ("image", "mask") if name in files}
    calls.append(EditCall(dict(form), raw.get("image", b""), raw.get("mask")))
    model, size = form.get("model", "gpt-image-1.5"), form.get("size", "auto")
    if "image" not in files or "prompt" not in form:
        msg = "Missing required parameter: 'image'."
        return _json(error_body(msg, "invalid_request_error", "missing_required_parameter"), 400)
    if form.get("input_fidelity") and model == "gpt-image-1-mini":
        msg = "input_fidelity is not supported for gpt-image-1-mini."
        return _json(error_body(msg, "invalid_request_error", "unsupported_parameter"), 400)
    if size not in GPT_IMAGE_SIZES:
        msg = f"Invalid value: '{size}'."
        return _json(error_body(msg, "invalid_request_error", "invalid_value", "size"), 400)
    if (wrong := _output_error(dict(form))) is not None:
        return wrong
    image = Image.open(io.BytesIO(raw["image"]))
    mask = Image.open(io.BytesIO(raw["mask"])) if "mask" in raw else image
    if image.format != "PNG" or mask.format != "PNG" or mask.size != image.size:
        msg = "Invalid mask: the mask must be a PNG of the same dimensions as the image."
        return _json(error_body(msg, "invalid_request_error", "invalid_value", "mask"), 400)
    width, height = image.size if size == "auto" else map(int, size.split("x"))
    keep = mask.convert("RGBA").getchannel("A").point(lambda a: 255 if a else 0)
    painted = Image.new("RGB", image.size, PAINTED)
    painted.paste(image.convert("RGB"), mask=keep)
    answer = {
        "created": 1713833628,
        "data": [{"b64_json": _encoded(painted.resize((width, height)), dict(form))}],
        "size": size,
        "usage": {
            "input_tokens": 4240,
            "output_tokens": 1056,
            "total_tokens": 5296,
            "input_tokens_details": {"text_tokens": 80, "image_tokens": 4160},
        },
    }
    return _json(answer, headers={"x-request-id": "req_fake789"})


def serve_edits(server: HTTPServer) -> list[EditCall]:
    """Answer edits as the API does; returns the list each request is recorded in."""
    calls: list[EditCall] = []
    server.expect_request(EDITS, method="POST").respond_with_handler(lambda r: _edits(r, calls))
    return calls


def serve_images(server: HTTPServer) -> None:
    server.expect_request(IMAGES, method="POST").respond_with_handler(_images)


def serve_error(
    server: HTTPServer,
    status: int,
    *,
    code: str | None = None,
    type_: str = "invalid_request_error",
    message: str = "something went wrong",
    headers: dict[str, str] | None = None,
    path: str = IMAGES,
) -> None:
    """Every request to `path` answers with an OpenAI error body (§1.5)."""
    body = error_body(message, type_, code)
    all_headers = {"x-request-id": "req_err456", **(headers or {})}
    server.expect_request(path, method="POST").respond_with_response(
        _json(body, status, all_headers)
    )


def serve_raw(server: HTTPServer, body: str, content_type: str, path: str = IMAGES) -> None:
    server.expect_request(path, method="POST").respond_with_data(body, content_type=content_type)


def serve_slow(server: HTTPServer, seconds: float, path: str = IMAGES) -> None:
    def slow(request: Request) -> Response:
        time.sleep(seconds)
        return _images(request) if path == IMAGES else _json(chat_completion("Bonjour"))

    server.expect_request(path, method="POST").respond_with_handler(slow)


def chat_completion(
    content: str | None, *, finish_reason: str = "stop", refusal: str | None = None
) -> dict:
    """A chat.completion body as §5 describes."""
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1713833628,
        "model": "gpt-4.1-mini-2025-04-14",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": refusal},
                "finish_reason": finish_reason,
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 60, "completion_tokens": 8, "total_tokens": 68},
    }


def serve_chat(server: HTTPServer, body: dict) -> None:
    server.expect_request(CHAT, method="POST").respond_with_json(body)


def requests_to(server: HTTPServer, path: str) -> list[Request]:
    return [request for request, _ in server.log if request.path == path]


@contextmanager
def keepalive_chat_server(content: str) -> Iterator[tuple[str, list[int]]]:
    """A chat endpoint on 127.0.0.1 that keeps connections alive (werkzeug's server, behind
    pytest-httpserver, closes every connection). Yields the base URL and the client ports seen,
    one per request, so tests can tell new connections from reused ones."""
    body = json.dumps(chat_completion(content)).encode()
    ports: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["content-length"]))
            ports.append(self.client_address[1])
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1", ports
    finally:
        server.shutdown()
        server.server_close()
