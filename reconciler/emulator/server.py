"""The emulator over HTTP: the AWS JSON 1.1 protocol, as boto3 and the AWS CLI speak it.

A request is `POST /` with `X-Amz-Target: AmazonPersonalize.<Operation>` and a JSON body; the
answer is the operation's JSON, or `{"__type": CODE, "message": ...}` with the error's status.
Every answer is JSON of that shape, protocol errors and other methods included, but for STS:
a form-encoded request without `X-Amz-Target` (a POST body or a GET query string, the AWS query
protocol) is STS's, answered in XML by `sts` (GetCallerIdentity). Signatures are not checked; the
region is read from the signature's credential scope. Request bodies are never logged. A client
that sends nothing for `READ_TIMEOUT` seconds, or goes away while it sends its request or before
it has read the answer, costs a thread no longer than that and prints nothing. A request whose
`Host` names another server is refused with 403 (see `hosts`: DNS-rebinding protection). An IPv6
address (`::1`) is listened on as IPv6.
"""

from __future__ import annotations

import json
import re
import socket
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from reconciler.emulator import sts
from reconciler.emulator.errors import AnswerLost, EmulatorError, ServiceError
from reconciler.emulator.hosts import HostCheck
from reconciler.emulator.resources import partition_of
from reconciler.emulator.service import EmulatorService

TARGET_PREFIX = "AmazonPersonalize."
CONTENT_TYPE = "application/x-amz-json-1.1"
FORM_TYPE = "application/x-www-form-urlencoded"
_SCOPE = re.compile(
    r"Credential=[^/,\s]+/\d{8}/(?P<region>[a-z0-9-]+)/(?P<service>[a-z0-9-]+)/aws4_request"
)
MAX_BODY = 1024 * 1024
READ_TIMEOUT = 30.0  # seconds a connection may stay silent
_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, socket.timeout)


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # a burst of connections is not held back by a short backlog

    def __init__(
        self,
        service: EmulatorService,
        host: str,
        port: int,
        *,
        verbose: bool,
        read_timeout: float = READ_TIMEOUT,
    ) -> None:
        self.service = service
        self.verbose = verbose
        self.read_timeout = read_timeout
        self.hosts = HostCheck(host)
        if ":" in host:  # an IPv6 address
            self.address_family = socket.AF_INET6
        super().__init__((host.removeprefix("[").removesuffix("]"), port), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else str(host)
        shown = f"[{name}]" if ":" in name else name
        return f"http://{shown}:{port}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away is not an error of the emulator; anything else is one line."""
        error = sys.exc_info()[1]
        if not isinstance(error, _GONE):
            sys.stderr.write(f"emulator: error while serving {client_address}: {error!r}\n")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    default_request_version = "HTTP/1.1"  # even a garbled request line gets a status line
    disable_nagle_algorithm = True  # headers and body go out in two writes: don't wait 40 ms
    server: EmulatorServer

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.read_timeout)  # for every read of the request

    def parse_request(self) -> bool:
        """The request line and headers; False (answered) where `Host` names another server."""
        if not super().parse_request():
            return False
        if self.server.hosts.allows(self.headers.get("Host")):
            return True
        self.close_connection = True  # its body, if any, is not read
        message = (
            "The Host header names another server than this emulator (it answers to the "
            "address it listens on, or a loopback name): connect to that address"
        )
        self._answer(403, _error("AccessDeniedException", message))
        return False

    def do_POST(self) -> None:
        length_header = self.headers.get("Content-Length") or "0"
        if not (length_header.isascii() and length_header.isdigit()):
            self.close_connection = True
            self._answer(400, _error("SerializationException", "Content-Length is not a number"))
            return
        length = int(length_header)
        if length > MAX_BODY:
            self.close_connection = True
            self._answer(413, _error("SerializationException", "Request body too large"))
            return
        body = self.rfile.read(length)
        target = self.headers.get("X-Amz-Target", "")
        content_type = self.headers.get("Content-Type", "")
        if not target and content_type.lower().startswith(FORM_TYPE):
            self._sts(body)
            return
        if not target.startswith(TARGET_PREFIX):
            self._answer(400, _error("UnknownOperationException", "Missing X-Amz-Target"))
            return
        try:
            params = json.loads(body or b"{}")
        except (ValueError, RecursionError):
            self._answer(400, _error("SerializationException", "Request body is not JSON"))
            return
        try:
            result = self.server.service.handle(
                target[len(TARGET_PREFIX) :], params, region=self._region("personalize")
            )
        except ServiceError as exc:
            self._answer(exc.status, _error(exc.code, exc.message))
            return
        except AnswerLost:
            self.close_connection = True  # the client sees the connection close, no answer
            return
        except EmulatorError as exc:
            sys.stderr.write(f"emulator: {exc}\n")
            self._answer(500, _error("InternalFailure", str(exc)))
            return
        except Exception as exc:  # a bug in the emulator: answer as the service would
            sys.stderr.write(f"emulator: internal error in {target}: {type(exc).__name__}\n")
            self._answer(500, _error("InternalFailure", "Internal emulator error"))
            return
        self._answer(200, result)

    def do_GET(self) -> None:
        query = urlsplit(self.path).query
        if self.command == "GET" and "Action=" in query:
            self._sts(query)
            return
        self._answer(404, _error("UnknownOperationException", "Use POST with X-Amz-Target"))

    do_HEAD = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    def _sts(self, form: bytes | str) -> None:
        config = self.server.service.config
        region = self._region("sts") or config.region
        status, data = sts.answer(form, account=config.account_id, partition=partition_of(region))
        self._send(status, sts.CONTENT_TYPE, data)

    def _region(self, service: str) -> str | None:
        """The region of the signature's credential scope, where it was signed for `service`."""
        scope = _SCOPE.search(self.headers.get("Authorization", ""))
        return scope["region"] if scope and scope["service"] == service else None

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Protocol errors (a bad request line, an unknown method) answered in the AWS shape."""
        self.close_connection = True
        reason = message or HTTPStatus(code).phrase
        self._answer(code, _error("SerializationException", reason))  # all the client's doing

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        self._send(status, CONTENT_TYPE, json.dumps(body).encode())

    def _send(self, status: int, content_type: str, data: bytes) -> None:
        """The answer, or nothing where the client went away (see `EmulatorServer.handle_error`
        for a client gone while its request is read)."""
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-amzn-RequestId", "emulator")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
        except _GONE:
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            sys.stderr.write(f"emulator: {self.address_string()} {format % args}\n")


def _error(code: str, message: str) -> dict[str, Any]:
    return {"__type": code, "message": message}
