"""The emulator over HTTP: the AWS JSON 1.1 protocol, as boto3 and the AWS CLI speak it.

A request is `POST /` with `X-Amz-Target: AmazonPersonalize.<Operation>` and a JSON body; the
answer is the operation's JSON, or `{"__type": CODE, "message": ...}` with the error's status.
Signatures are not checked; the region is read from the signature's credential scope. Request
bodies are never logged.
"""

from __future__ import annotations

import json
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from reconciler.emulator.errors import ServiceError
from reconciler.emulator.service import EmulatorService

TARGET_PREFIX = "AmazonPersonalize."
CONTENT_TYPE = "application/x-amz-json-1.1"
_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/(?P<region>[a-z0-9-]+)/personalize/aws4_request")
MAX_BODY = 1024 * 1024


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, service: EmulatorService, host: str, port: int, *, verbose: bool) -> None:
        self.service = service
        self.verbose = verbose
        super().__init__((host, port), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else str(host)
        shown = f"[{name}]" if ":" in name else name
        return f"http://{shown}:{port}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: don't wait 40 ms
    server: EmulatorServer

    def do_POST(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self._answer(413, _error("SerializationException", "Request body too large"))
            return
        body = self.rfile.read(length)
        target = self.headers.get("X-Amz-Target", "")
        if not target.startswith(TARGET_PREFIX):
            self._answer(400, _error("UnknownOperationException", "Missing X-Amz-Target"))
            return
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            self._answer(400, _error("SerializationException", "Request body is not JSON"))
            return
        scope = _SCOPE.search(self.headers.get("Authorization", ""))
        try:
            result = self.server.service.handle(
                target[len(TARGET_PREFIX) :], params, region=scope["region"] if scope else None
            )
        except ServiceError as exc:
            self._answer(exc.status, _error(exc.code, exc.message))
            return
        except Exception as exc:  # a bug in the emulator: answer as the service would
            sys.stderr.write(f"emulator: internal error in {target}: {type(exc).__name__}\n")
            self._answer(500, _error("InternalFailure", "Internal emulator error"))
            return
        self._answer(200, result)

    def do_GET(self) -> None:
        self._answer(404, _error("UnknownOperationException", "Use POST with X-Amz-Target"))

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", "emulator")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            sys.stderr.write(f"emulator: {self.address_string()} {format % args}\n")


def _error(code: str, message: str) -> dict[str, Any]:
    return {"__type": code, "message": message}
