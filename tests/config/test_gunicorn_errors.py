"""gunicorn's own refusals answer JSON with a code, never its HTML page (config/gunicorn_worker.py).

The worker timeout's answer is checked in tests/graphql_api/test_timeouts.py, on PostgreSQL.
"""

import json
import socket
from urllib.parse import urlsplit

import pytest

from tests.helpers import gunicorn, server_env

pytestmark = pytest.mark.slow  # starts a server


def exchange(url: str, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes to the server; its status, headers and body."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as conn:
        conn.sendall(raw)
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines)
    return int(status_line.split()[1]), {k.lower(): v for k, v in headers.items()}, body


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("gunicorn-errors")
    with gunicorn(server_env(f"sqlite:///{data}/db.sqlite3", data)) as url:
        yield url


def assert_json_error(answer, status: int, code: str | None) -> str:
    got, headers, body = answer
    assert got == status, body[:300]
    assert headers["content-type"] == "application/json"
    (error,) = json.loads(body)["errors"]
    assert error.get("extensions", {}).get("code") == code
    assert b"<html" not in body.lower()
    return error["message"]


@pytest.mark.parametrize("size", [8_200, 60_000])
def test_an_oversized_request_line_answers_json(server, size):
    document_id = "sha256:" + "a" * size
    request = f"GET /graphql/?documentId={document_id} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    message = assert_json_error(exchange(server, request.encode()), 414, "TOO_LONG")
    assert "8190 bytes" in message and "POST" in message


def test_a_get_within_the_limit_reaches_the_application(server):
    document_id = "sha256:" + "a" * 7_000  # over gunicorn's default 4094, under the 8190 set
    request = f"GET /graphql/?documentId={document_id} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    status, headers, body = exchange(server, request.encode())
    assert status == 400 and headers["content-type"] == "application/json"  # Django's refusal
    assert "documentId" in body.decode() or "document" in body.decode()


@pytest.mark.parametrize(
    "headers",
    [
        "".join(f"X-Filler-{n}: x\r\n" for n in range(150)),  # too many
        "X-Filler: " + "x" * 9_000 + "\r\n",  # too large
    ],
)
def test_oversized_headers_answer_json(server, headers):
    request = f"GET /graphql/ HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n"
    assert_json_error(exchange(server, request.encode()), 431, "TOO_LONG")


@pytest.mark.parametrize(
    "raw",
    [
        b"NOT-HTTP\r\n\r\n",
        b"GET /graphql/ HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n",
        b"GET /graphql/ HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header\r\n\r\n",
        b"G\x00T /graphql/ HTTP/1.1\r\n\r\n",
    ],
)
def test_malformed_requests_answer_json(server, raw):
    assert_json_error(exchange(server, raw), 400, "INVALID")
