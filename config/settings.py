"""Settings for the learning platform API, read from the environment.

Every value a deployment changes comes from an environment variable; the defaults are safe for
production (DEBUG off, secure cookies, HSTS, HTTPS redirect) except the database, which defaults
to an embedded SQLite file so the project runs with no set-up. README.md, "Configuration", lists
them.
"""

import ipaddress
import math
import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
# A checkout keeps its data beside manage.py; an installed package, in the working directory.
DATA_DIR = Path(
    os.environ.get(
        "DATA_DIR", (BASE_DIR if (BASE_DIR / "manage.py").exists() else Path.cwd()) / ".data"
    )
)
# It holds the SQLite database, uploads and backups: readable by its owner only when made here.
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    """Read a yes/no environment variable; refuse anything that is not clearly one or the other."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use 1/0, true/false, yes/no.")


def env_int(name: str, default: int, minimum: int) -> int:
    """Read a whole-number environment variable of at least `minimum`."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below its minimum, {minimum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated environment variable."""
    raw = os.environ.get(name)
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
# `manage.py --help` and `manage.py <command> --help` sign nothing: they work without a key.
HELP_ONLY = len(sys.argv) > 1 and ({"-h", "--help", "help"} & set(sys.argv[1:]))
if not SECRET_KEY:
    if not DEBUG and not HELP_ONLY:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it to a long random string in production "
            "(python -c 'import secrets; print(secrets.token_urlsafe(64))'), "
            "or set DEBUG=1 for local development."
        )
    SECRET_KEY = "django-insecure-local-development-only-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Frontends on other origins (django-cors-headers): only the listed origins may call /graphql/
# from a browser, with credentials (the session cookie), and nothing else on the site. A listed
# origin is also trusted for CSRF, so its session POSTs pass with the X-CSRFToken header; a
# frontend on another subdomain reads the csrftoken cookie if CSRF_COOKIE_DOMAIN is the parent
# domain (.example.com). Token requests (Authorization: Bearer) need neither.
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", [])
CORS_ALLOW_CREDENTIALS = True
CORS_ALLOW_METHODS = ("GET", "POST", "OPTIONS")
CORS_URLS_REGEX = r"^/graphql/$"
CSRF_TRUSTED_ORIGINS += [o for o in CORS_ALLOWED_ORIGINS if o not in CSRF_TRUSTED_ORIGINS]
CSRF_COOKIE_DOMAIN = os.environ.get("CSRF_COOKIE_DOMAIN") or None

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_filters",
    "axes",
    "corsheaders",
    "learningplatform",
    # Before strawberry_django: its export_schema command is replaced by ours (no arguments,
    # writes schema.graphql, reports breaking changes).
    "graphql_api",
    "strawberry_django",
]
# The old model names (courses.models, tasks.models) while clients move; LEGACY_SHIM=0 runs
# without them, as the code will once legacy_shim/ is deleted.
LEGACY_SHIM = env_bool("LEGACY_SHIM", True)
if LEGACY_SHIM:
    INSTALLED_APPS.append("legacy_shim")

MIDDLEWARE = [
    # Before everything: answers /healthz, /readyz and /metrics at once (no session, no host or
    # HTTPS check, no throttling), and measures and logs every other request whole.
    "graphql_api.observability.middleware.ObservabilityMiddleware",
    # First after it, so the request's deadline covers every statement, its session's included.
    "learningplatform.deadline.RequestDeadlineMiddleware",
    # Before anything that answers early, so preflights and refusals carry their CORS headers.
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Serves collected static files (admin, GraphiQL) from the app server itself.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a locked-out login (admin or GraphQL) into its answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# PostgreSQL in production (DATABASE_URL=postgres://user:pass@host:5432/name); an embedded
# SQLite file otherwise. Persistent connections are checked before reuse, so a connection the
# server closed is replaced instead of failing a request.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "600")),
        conn_health_checks=True,
    )
}
# Requests must not hold the database longer than the server waits for them: a request's
# statements together get this long from its start (learningplatform/deadline.py), and each is
# also cancelled by PostgreSQL past it. The WSGI and ASGI entry points set 10 s; management
# commands (migrate, consolidate, seed) run without a limit.
STATEMENT_TIMEOUT_MS = int(os.environ.get("DB_STATEMENT_TIMEOUT_MS", "0"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, with a health check that reads the connection's socket instead of
    # sending SELECT 1 before every request (learningplatform/db/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "learningplatform.db.postgresql"
if DATABASES["default"]["ENGINE"] == "learningplatform.db.postgresql" and STATEMENT_TIMEOUT_MS:
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"
    )
# PostgreSQL prepares a statement on a connection once it has run this many times there (psycopg's
# prepare_threshold, parameters bound on the server): a kept plan's statements are then not
# planned again by PostgreSQL (docs/performance.md). 0 prepares none: for a pooler that cannot
# keep prepared statements (PgBouncer in transaction mode before 1.21).
DB_PREPARE_THRESHOLD = env_int("DB_PREPARE_THRESHOLD", 1, minimum=0)
if DATABASES["default"]["ENGINE"] == "learningplatform.db.postgresql" and DB_PREPARE_THRESHOLD:
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=DB_PREPARE_THRESHOLD
    )
# --- Beyond one machine (docs/operations.md, "Running on more than one machine"; ADR 0018).
# DB_TRANSACTION_POOLING=1: PostgreSQL is reached through a pooler in transaction mode
# (PgBouncer), which gives each transaction whichever server connection is free, so nothing may
# be kept in a session: no prepared statements, no startup options (PgBouncer 1.18 refuses
# them); each statement's timeout travels with it (learningplatform/deadline.py).
DB_TRANSACTION_POOLING = env_bool("DB_TRANSACTION_POOLING", False)
if DB_TRANSACTION_POOLING and DATABASES["default"]["ENGINE"] == "learningplatform.db.postgresql":
    if os.environ.get("DB_PREPARE_THRESHOLD", "0").strip() not in {"", "0"}:
        raise ImproperlyConfigured(
            "DB_TRANSACTION_POOLING=1 needs DB_PREPARE_THRESHOLD=0: a pooler in transaction mode "
            "cannot keep a connection's prepared statements."
        )
    DB_PREPARE_THRESHOLD = 0
    # A server-side cursor outside a transaction (`.iterator()`) is held by the session: its
    # next FETCH would reach another server connection (Django's advice for such poolers).
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    for option in ("options", "server_side_binding", "prepare_threshold"):
        DATABASES["default"].get("OPTIONS", {}).pop(option, None)
# Read replicas: comma-separated PostgreSQL URLs (empty: every statement on DATABASE_URL). Reads
# go to a replica that has replayed the client's own last write and lags at most
# REPLICA_MAX_LAG_MS behind; writes, and everything in a mutation's transaction, to the primary
# (learningplatform/replicas.py). Each replica is one more connection per worker thread.
DATABASE_REPLICA_URLS = env_list("DATABASE_REPLICA_URLS", [])
REPLICA_MAX_LAG_MS = env_int("REPLICA_MAX_LAG_MS", 1000, minimum=0)
if DATABASE_REPLICA_URLS:
    from learningplatform.replicas import replica_databases

    DATABASES |= replica_databases(DATABASE_REPLICA_URLS, primary=DATABASES["default"])
    DATABASE_ROUTERS = ["learningplatform.replicas.ReplicaRouter"]
    # After the session middleware: a client's last write is remembered in its session.
    _after_sessions = MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware") + 1
    MIDDLEWARE.insert(_after_sessions, "learningplatform.replicas.ReplicaMiddleware")

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # SQLite opens a file, not a server connection: nothing to keep alive.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

# Sessions are rows in the database. With REDIS_URL (redis://127.0.0.1:6379/0) they are read
# through Redis first and written to both (cached_db): a logged-in request then costs one SQL
# statement (its user) instead of two, and logging out still ends the session on the server.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    SESSION_ENGINE = "learningplatform.sessions.cached_db"
else:
    SESSION_ENGINE = "learningplatform.sessions.db"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "learningplatform.User"

# Login throttling (django-axes, learningplatform/throttling.py): failed logins are counted per
# account and per client address; LOGIN_FAILURE_LIMIT of either locks it out for
# LOGIN_COOLOFF_MINUTES after its latest failure, the correct password included. A successful
# login clears its own account's failures only (learningplatform.throttling.ThrottlingHandler):
# axes's reset on success would also clear other accounts' failures from the same address.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = "learningplatform.throttling.lockout_parameters"
# Axes's reset on success clears every failure matching any lockout parameter, the address's
# guesses at other accounts included; learningplatform.throttling.ThrottlingHandler replaces it.
AXES_RESET_ON_SUCCESS = False
AXES_HANDLER = "learningplatform.throttling.ThrottlingHandler"
AXES_DISABLE_ACCESS_LOG = True  # failures are what is counted; no row per successful login
AXES_CLIENT_IP_CALLABLE = "learningplatform.throttling.client_address"
AXES_LOCKOUT_CALLABLE = "learningplatform.throttling.lockout_response"
# How many proxies in front of the app append to X-Forwarded-For; 0: the header is ignored and
# the client address is the connection's (a client could write any X-Forwarded-For itself).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"  # filled by `manage.py collectstatic`, served by WhiteNoise
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# In development WhiteNoise also serves straight from the apps, so collectstatic is optional.
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_URL = "media/"
MEDIA_ROOT = DATA_DIR / "media"

# Security: on unless DEBUG. Behind a TLS-terminating proxy, set TRUST_X_FORWARDED_PROTO=1.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "graphql_api.views.csrf_failure"  # JSON, like every other error
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# The schema the server serves, assembled by the composition root from the installed apps.
GRAPHQL_SCHEMA = "config.schema.schema"
# GraphQL: GraphiQL and introspection for development; both off in production unless asked.
GRAPHIQL = env_bool("GRAPHIQL", DEBUG)
GRAPHQL_INTROSPECTION = env_bool("GRAPHQL_INTROSPECTION", DEBUG)
# The most rows one page of a list may ask for (first/last). Raise it only for trusted clients:
# each row costs the server time and memory.
GRAPHQL_MAX_PAGE_SIZE = env_int("GRAPHQL_MAX_PAGE_SIZE", 100, minimum=1)
# Off: every query is answered by GraphQL's executor, none by the read path (graphql_api/readpath/).
# A kill switch for operators, should the read path ever answer wrongly; read per request.
GRAPHQL_FAST_READS = env_bool("GRAPHQL_FAST_READS", True)
# Plans the read path keeps per process, by document, variables and viewer (least recently used
# go first); 0 plans every request afresh. graphql_api/readpath/cache.py says what a key holds.
GRAPHQL_PLAN_CACHE_SIZE = env_int("GRAPHQL_PLAN_CACHE_SIZE", 256, minimum=0)
# On: /graphql/ runs only trusted documents (shipped in graphql_api/documents/, or registered from
# client manifests by `trusted_documents import`) and refuses any other; GraphiQL and DEBUG
# accept any.
GRAPHQL_TRUSTED_DOCUMENTS_ONLY = env_bool("GRAPHQL_TRUSTED_DOCUMENTS_ONLY", False)
# Seconds a process trusts a registered document the database confirmed before it asks again:
# a revocation holds everywhere within that time; 0 asks on every request (one statement).
GRAPHQL_REGISTERED_DOCUMENTS_TTL = env_int("GRAPHQL_REGISTERED_DOCUMENTS_TTL", 10, minimum=0)

# On: `migrate` stops on legacy values the consolidated models cannot hold as they are (listing
# each) instead of mapping and recording them; `consolidate --strict` does the same on demand.
CONSOLIDATION_STRICT = env_bool("CONSOLIDATION_STRICT", False)
# The most objects one request may ask for, estimated before it runs (graphql_api/cost.py):
# the frontend's largest document, the course catalogue, costs 440.
GRAPHQL_MAX_COST = env_int("GRAPHQL_MAX_COST", 1000, minimum=1)
# A GraphQL document within the 2,000-token limit is far below this; bigger bodies are refused.
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024

# What a client can make a worker keep or the database store, bounded (.github/SECURITY.md).
# The most bytes a request's `query` text may have, refused before it is parsed (a comment or a
# long alias is one token, so the token limit does not bound it): by default the frontend's
# largest document (graphql_api/documents/) times 16, in whole KiB.
_FRONTEND_DOCUMENTS = (BASE_DIR / "graphql_api" / "documents").glob("*.graphql")
_LARGEST_FRONTEND_DOCUMENT = max(path.stat().st_size for path in _FRONTEND_DOCUMENTS)
GRAPHQL_MAX_DOCUMENT_BYTES = env_int(
    "GRAPHQL_MAX_DOCUMENT_BYTES", math.ceil(16 * _LARGEST_FRONTEND_DOCUMENT / 1024) * 1024, 1024
)
# Bytes each per-process cache (kept plans, parsed documents, validation results) may hold.
GRAPHQL_CACHE_BYTES = env_int("GRAPHQL_CACHE_BYTES", 8 * 1024 * 1024, minimum=0)
# The read path's record of fallbacks: documents stored, and bytes of their text; beyond either,
# fallbacks are counted together as "other" (graphql_api/readpath/fallbacks.py).
GRAPHQL_FALLBACK_DOCUMENTS = env_int("GRAPHQL_FALLBACK_DOCUMENTS", 100, minimum=0)
GRAPHQL_FALLBACK_BYTES = env_int("GRAPHQL_FALLBACK_BYTES", 1024 * 1024, minimum=0)
# --- Observability (docs/operations.md, "Watching it"; graphql_api/observability/) ---
# Prometheus metrics at /metrics, off unless one of these is set; otherwise /metrics is a 404.
# METRICS_TOKEN: a scraper sends it as `Authorization: Bearer <token>`. METRICS_ALLOWED_IPS:
# comma-separated addresses or networks (10.0.0.0/8) that may scrape without it; the client
# address is the one login throttling uses (TRUSTED_PROXY_COUNT).
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", [])
for _network in METRICS_ALLOWED_IPS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"METRICS_ALLOWED_IPS: {_network!r} is not an address or a network (10.0.0.0/8)."
        ) from None
METRICS_ENABLED = bool(METRICS_TOKEN or METRICS_ALLOWED_IPS)
# Distinct operation names a process labels its metrics with; later ones are counted as "other".
METRICS_MAX_OPERATIONS = env_int("METRICS_MAX_OPERATIONS", 100, minimum=1)
# /readyz: how long the database may take to answer, and how long a "no migration pending"
# answer is kept before the migration table is read again (a pending one is read every time).
READYZ_TIMEOUT_MS = env_int("READYZ_TIMEOUT_MS", 2000, minimum=1)
READYZ_MIGRATIONS_TTL_SECONDS = env_int("READYZ_MIGRATIONS_TTL_SECONDS", 30, minimum=0)
# Traces: on when OTEL_EXPORTER_OTLP_ENDPOINT is set (and the `otel` extra installed); the
# OpenTelemetry SDK reads its other OTEL_* variables itself. The WSGI/ASGI entry points start it.
OTEL_EXPORTER_OTLP_ENDPOINT = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "")
# `plain`: one readable line per event; `json`: one JSON object per line, with the request's id,
# operation, duration and status (graphql_api/observability/logs.py).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain")
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r}: use plain or json.")

# One line per event: Django's own loggers write through the root handler only (by default they
# also have a console handler of their own in development, which printed every line twice).
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "graphql_api.observability.logs.JsonFormatter"},
    },
    # Every line of a request carries its id and operation (the request filter adds them).
    "filters": {"request": {"()": "graphql_api.observability.logs.RequestContextFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        "django.server": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        # django-axes announces itself at every start; its lockouts are warnings.
        "axes": {"handlers": [], "level": "WARNING", "propagate": True},
    },
}
