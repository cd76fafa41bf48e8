"""schemathesis hooks for bench/fuzz_schemathesis.py (loaded through SCHEMATHESIS_HOOKS).

- Strategies for the schema's own scalars (Decimal, Duration, DateTime): mostly valid values,
  with some arbitrary text so that the parsing errors are exercised too.
- The check `no_unexpected_error`. schemathesis's own `not_a_server_error` counts every GraphQL
  error raised during execution as a server failure; this API answers bad query input (a page of
  101, an id that decodes to nothing) with such errors, each with a message and a code, by
  design. A real failure here is an HTTP 5xx, a body that is not JSON, or an error masked as
  "Unexpected error." (an exception nobody expected).
"""

from datetime import timedelta

import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes


def _iso_duration(value: timedelta) -> str:
    seconds = value.total_seconds()
    return f"P{value.days}DT{seconds - value.days * 86400:.6f}S"


_noise = st.text(max_size=20)
schemathesis.graphql.scalar(
    "Decimal",
    st.one_of(
        st.decimals(min_value=-(10**6), max_value=10**6, places=2, allow_nan=False).map(str),
        _noise,
    ).map(nodes.String),
)
schemathesis.graphql.scalar(
    "Duration",
    st.one_of(
        st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3650)).map(_iso_duration),
        _noise,
    ).map(nodes.String),
)
schemathesis.graphql.scalar(
    "DateTime",
    st.one_of(st.datetimes().map(lambda d: d.isoformat() + "Z"), _noise).map(nodes.String),
)


@schemathesis.check
def no_unexpected_error(ctx, response, case):
    """No 5xx, always JSON, and no error the server did not mean to give."""
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"HTTP {response.status_code} with a body that is not JSON") from None
    masked = [e for e in body.get("errors") or [] if e.get("message") == "Unexpected error."]
    if masked:
        raise AssertionError(f"Unexpected error at {masked[0].get('path')}")
