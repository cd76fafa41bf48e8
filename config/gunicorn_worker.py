"""gunicorn's sync worker, answering its own failures in JSON as the application does.

gunicorn answers what never reaches Django itself, with an HTML page: a request line or headers
over its limits (a 60 KB `documentId` in a GET), a malformed request, and a request cut off by
the worker timeout (the worker's SIGABRT ends the request as an exception, answered as a 500).
Here each is `{"errors": [{"message": ..., "extensions": {"code": ...}}]}` with the same status.
config/gunicorn.py selects this worker.
"""

import json
import socket
import time

from gunicorn.http import errors as http_errors
from gunicorn.workers.sync import SyncWorker

TOO_LONG = "TOO_LONG"


def json_error(status: int, reason: str, message: str, code: str | None, **headers: str) -> bytes:
    """A whole HTTP/1.1 response carrying one GraphQL-style error; the connection then closes."""
    error: dict = {"message": message}
    if code:
        error["extensions"] = {"code": code}
    body = json.dumps({"errors": [error]}).encode()
    lines = [
        f"HTTP/1.1 {status} {reason}",
        "Connection: close",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{name.replace('_', '-')}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def drain(client: socket.socket, seconds: float = 1.0, most: int = 1 << 20) -> None:
    """Read what is left of a refused request before closing: closing with unread bytes makes
    the kernel reset the connection, and the client may lose the answer before reading it."""
    client.shutdown(socket.SHUT_WR)
    until = time.monotonic() + seconds
    read = 0
    while read < most and (left := until - time.monotonic()) > 0:
        client.settimeout(left)
        try:
            chunk = client.recv(65536)
        except TimeoutError:
            return
        if not chunk:
            return
        read += len(chunk)


class JSONErrorWorker(SyncWorker):
    timed_out = False

    def handle_abort(self, sig, frame) -> None:
        # The arbiter aborts a worker whose request outlived `timeout`: the request in hand
        # then ends in SystemExit, which handle_error answers.
        self.timed_out = True
        super().handle_abort(sig, frame)

    def handle_error(self, req, client, addr, exc) -> None:
        answer = self.answer_for(exc)
        if answer is None:  # not one of ours to answer: gunicorn's page, as before
            super().handle_error(req, client, addr, exc)
            return
        self.log.warning("Answered %s: %s", answer.split(b"\r\n", 1)[0].decode(), exc)
        try:
            client.sendall(answer)
            drain(client)
        except OSError:
            self.log.debug("Failed to send the error answer.")

    def answer_for(self, exc: BaseException) -> bytes | None:
        limit = self.cfg.limit_request_line
        if isinstance(exc, http_errors.LimitRequestLine):
            return json_error(
                414, "URI Too Long",
                f"The request line is longer than the {limit} bytes this server reads: send the "
                "document in a POST body, or a trusted document by its documentId.",
                TOO_LONG,
            )  # fmt: skip
        if isinstance(exc, http_errors.LimitRequestHeaders):
            return json_error(
                431, "Request Header Fields Too Large",
                f"The request's headers are too many or too large (at most "
                f"{self.cfg.limit_request_fields} of {self.cfg.limit_request_field_size} bytes).",
                TOO_LONG,
            )  # fmt: skip
        if isinstance(exc, http_errors.ParseException):
            return json_error(400, "Bad Request", "The HTTP request is malformed.", "INVALID")
        if isinstance(exc, SystemExit) and self.timed_out:
            return json_error(
                503, "Service Unavailable",
                f"The request ran longer than the server allows ({self.cfg.timeout} s) and was "
                "stopped: a change it carried may or may not have been applied. Read it back "
                "before sending it again; ask for less if it was a query.",
                "TIMEOUT", Retry_After="1",
            )  # fmt: skip
        if isinstance(exc, SystemExit | KeyboardInterrupt):  # stopped mid-request (SIGQUIT, SIGINT)
            return json_error(
                503, "Service Unavailable",
                "The server stopped while answering: a change the request carried may or may "
                "not have been applied. Read it back before sending it again.",
                "UNAVAILABLE", Retry_After="1",
            )  # fmt: skip
        if isinstance(exc, Exception):
            return json_error(500, "Internal Server Error", "Unexpected error.", None)
        return None
