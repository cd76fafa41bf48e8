"""A client of /graphql/ that behaves as a browser does: cookies kept, the CSRF token sent back.

One client for everything that talks to the API as a user would: `seed_via_graphql`, the load
benchmark, the tests of the running server. Against a URL it keeps one HTTP connection alive;
without one it goes through this project's own stack in process (Django's test client, over
HTTPS as production settings require). Importing it needs no Django set-up.
"""

import http.client
import json
from typing import Any
from urllib.parse import urlsplit


class GraphQLClientError(Exception):
    """The API answered with errors; the message is the first one's."""


class GraphQLClient:
    def __init__(
        self, url: str | None = None, *, client_name: str = "graphql-client", timeout: float = 30
    ) -> None:
        self.url, self.client_name, self.timeout = url, client_name, timeout
        self.cookies: dict[str, str] = {}
        self.connection: http.client.HTTPConnection | None = None
        self.in_process = None
        if url is None:
            from django.conf import settings
            from django.test import Client

            host = next((h.lstrip(".") for h in settings.ALLOWED_HOSTS if h != "*"), "localhost")
            # Over HTTPS Django's CSRF check wants a Referer from the same origin.
            self.in_process = Client(
                enforce_csrf_checks=True, HTTP_HOST=host, HTTP_REFERER=f"https://{host}/graphql/"
            )

    def post(
        self, query: str, variables: dict | None = None, *, retry: bool = False
    ) -> tuple[int, dict]:
        """The HTTP status and JSON body of one POST; a body that is not JSON says so.

        With `retry`, a request whose connection broke is sent once more on a new connection:
        only for reads and other requests safe to repeat.
        """
        body = {"query": query, "variables": variables or {}}
        headers = {"Content-Type": "application/json", "X-Client-Name": self.client_name}
        if token := self.csrf_token():
            headers["X-CSRFToken"] = token
        if self.in_process is not None:
            meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
            del meta["HTTP_CONTENT_TYPE"]
            response = self.in_process.post(
                "/graphql/", body, content_type="application/json", secure=True, **meta
            )
            return response.status_code, _json(response.status_code, response.content)
        for attempt in (1, 2):
            try:
                return self._send(json.dumps(body), headers)
            except (ConnectionError, http.client.HTTPException, TimeoutError):
                self.close()
                if not retry or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def execute(self, query: str, variables: dict | None = None) -> dict:
        """The data of an answer without errors; GraphQLClientError otherwise."""
        status, answer = self.post(query, variables)
        if answer.get("errors") or status != 200:
            message = (answer.get("errors") or [{"message": f"HTTP {status}"}])[0]["message"]
            raise GraphQLClientError(message)
        return answer["data"]

    def csrf_token(self) -> str:
        if self.in_process is not None:
            cookie = self.in_process.cookies.get("csrftoken")
            return cookie.value if cookie else ""
        return self.cookies.get("csrftoken", "")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def _send(self, body: str, headers: dict[str, str]) -> tuple[int, dict]:
        parts = urlsplit(self.url)
        if self.connection is None:
            kind = (
                http.client.HTTPSConnection
                if parts.scheme == "https"
                else http.client.HTTPConnection
            )
            self.connection = kind(parts.hostname, parts.port, timeout=self.timeout)
        if self.cookies:
            headers = headers | {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        self.connection.request("POST", parts.path or "/", body, headers)
        response = self.connection.getresponse()
        payload = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";")[0]
        return response.status, _json(response.status, payload)


def _json(status: int, payload: bytes) -> dict[str, Any]:
    try:
        return json.loads(payload)
    except json.JSONDecodeError:
        snippet = payload[:120].decode(errors="replace").strip()
        return {"errors": [{"message": f"HTTP {status}, not JSON: {snippet}"}]}
