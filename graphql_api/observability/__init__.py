"""What an operator sees of a running server: metrics, health, traces and logs for machines.

- `middleware.py`: the first middleware. It answers /healthz, /readyz and /metrics before
  anything else runs, and measures every other request whole: its id, duration, SQL statements
  and SQL time, status, the GraphQL operation it ran;
- `metrics.py`: the Prometheus series (prometheus-client, multiprocess under gunicorn) and the
  /metrics view, reachable only from METRICS_ALLOWED_IPS or with METRICS_TOKEN;
- `health.py`: /healthz (the process answers) and /readyz (the database answers in time, no
  migration is pending);
- `logs.py`: the request's id and operation on every log line; LOG_FORMAT=json;
- `tracing.py`: OpenTelemetry spans per request and per SQL statement, when
  OTEL_EXPORTER_OTLP_ENDPOINT is set.

What a GraphQL request ran is reported here by graphql_api/operation_observer.py (a schema
extension with no resolve hook, so the read path still answers) and by the read path's execution
context (which path answered): the API reports into this package, which imports none of the
API's GraphQL modules (only the leaf modules responses.py and library_internals.py).
docs/operations.md, "Watching it", says what to watch and what to alert on.
"""
