"""Personal access tokens: made, revoked, and checked on every request that sends one.

A token is `lpat_` and 43 URL-safe characters (256 random bits). It is shown once, when made;
only its SHA-256 digest is stored. A request sends it as `Authorization: Bearer lpat_...`, and
nowhere else: a token in a URL ends up in proxy and server logs, so a query string naming one is
refused. Anything that is not a well-formed token is refused before any SQL; a well-formed one
costs the throttle's check and one lookup by its unique digest. Failures are counted by
django-axes per client address, with failed logins (learningplatform/throttling.py), so guessing
tokens is throttled like guessing passwords.
"""

import hashlib
import re
import secrets
from datetime import timedelta

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone

from learningplatform.choices import TokenScope
from learningplatform.models import PersonalAccessToken, User
from learningplatform.throttling import lockout_message

PREFIX = "lpat_"
TOKEN_FORMAT = re.compile(r"lpat_[A-Za-z0-9_-]{43}")
# An Authorization header longer than this cannot hold a token (`Bearer ` and 48 characters).
MAX_AUTHORIZATION_LENGTH = 256
MAX_LIFETIME_DAYS = 366
# last_used_at is written at most this often per token: a busy script should not cost an
# UPDATE per request.
LAST_USED_PRECISION = timedelta(minutes=1)
# Query-string parameters clients use for tokens (RFC 6750 section 2.3 and common practice).
QUERY_PARAMETERS = {"access_token", "token", "bearer", "api_key"}
# What axes is told of a failed token: the key says "a token" (it counts per address only);
# the value is never the token itself.
FAILED_TOKEN = {"token": "********"}


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def access_token_create(
    *, user: User, name: str, scope: str, expires_in_days: int
) -> tuple[PersonalAccessToken, str]:
    """Make a token for `user`; returns it and its secret, which is never shown again."""
    if not 1 <= expires_in_days <= MAX_LIFETIME_DAYS:
        raise ValidationError(
            {
                "expires_in_days": ValidationError(
                    f"A token lives from 1 to {MAX_LIFETIME_DAYS} days; got {expires_in_days}.",
                    code="min_value" if expires_in_days < 1 else "max_value",
                )
            }
        )
    secret = PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    token = PersonalAccessToken(
        user=user,
        name=name.strip(),
        scope=scope,
        digest=token_digest(secret),
        hint=secret[: len(PREFIX) + 4],
        created_at=now,
        expires_at=now + timedelta(days=expires_in_days),
    )
    token.full_clean()
    token.save()
    return token, secret


def access_token_revoke(*, token: PersonalAccessToken) -> PersonalAccessToken:
    """Revoke a token at once; revoking it again keeps the first time."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


class TokenRefused(Exception):
    """A request's token, or the way it was sent, is refused; the message says what to do."""

    def __init__(self, status: int, message: str, code: str = "INVALID_TOKEN") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def access_token_of_request(request: HttpRequest) -> PersonalAccessToken | None:
    """The valid token a request authenticates with; None if it sends none; else TokenRefused."""
    if _token_in_query_string(request):
        raise TokenRefused(
            400,
            "Send the token in the Authorization header (Bearer), never in the URL: URLs are "
            "written to logs. Revoke a token that was sent this way.",
        )
    header = request.headers.get("Authorization")
    if header is None:
        return None
    if len(header) > MAX_AUTHORIZATION_LENGTH:
        raise TokenRefused(
            400, f"The Authorization header is longer than {MAX_AUTHORIZATION_LENGTH} characters."
        )
    scheme, _, raw = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not TOKEN_FORMAT.fullmatch(raw.strip()):
        raise TokenRefused(
            401, "Send a personal access token as the header `Authorization: Bearer lpat_...`."
        )
    if AxesProxyHandler.is_locked(request, FAILED_TOKEN):
        raise TokenRefused(429, lockout_message(), code="THROTTLED")
    token = (
        PersonalAccessToken.objects.select_related("user")
        .filter(digest=token_digest(raw.strip()))
        .first()
    )
    now = timezone.now()
    if problem := _why_refused(token, now):
        user_login_failed.send(sender=__name__, credentials=FAILED_TOKEN, request=request)
        if getattr(request, "axes_locked_out", False):
            raise TokenRefused(429, lockout_message(), code="THROTTLED")
        raise TokenRefused(401, problem)
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def _why_refused(token: PersonalAccessToken | None, now) -> str | None:
    if token is None:
        return "This token is not known: check it was copied whole, or make a new one."
    if token.revoked_at is not None:
        return f"This token was revoked on {token.revoked_at:%Y-%m-%d %H:%M} UTC."
    if token.expires_at <= now:
        return f"This token expired on {token.expires_at:%Y-%m-%d %H:%M} UTC: make a new one."
    if not token.user.is_active:
        return "This token's account is disabled."
    return None


def _token_in_query_string(request: HttpRequest) -> bool:
    return any(
        name.lower() in QUERY_PARAMETERS
        or any(TOKEN_FORMAT.search(value) for value in request.GET.getlist(name))
        for name in request.GET
    )


def may_mutate(token: PersonalAccessToken | None) -> bool:
    """Whether a request with this token (None: a session or nobody) may run mutations."""
    return token is None or token.scope == TokenScope.WRITE
