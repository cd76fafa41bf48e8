"""Login throttling (django-axes): who a client is, and what it is told once locked out.

Failed logins are counted per account and per client address; either reaching
settings.AXES_FAILURE_LIMIT locks that account or address out for settings.AXES_COOLOFF_TIME,
counted from its latest failure. This covers the `login` mutation and the admin's login form.
A successful login clears the failures of its own account only (forget_failures_of).
Failed personal access tokens (learningplatform/access_tokens.py) name no account: they are
counted per client address only, in the same count as failed logins from that address.
"""

from axes.utils import reset as axes_reset
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the one the outermost trusted proxy saw.

    X-Forwarded-For is read only behind TRUSTED_PROXY_COUNT proxies, each of which appends the
    address it received the request from; anything further left was written by the client and
    could be forged.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",")]
    if proxies and len(forwarded) >= proxies and forwarded[-proxies]:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def forget_failures_of(sender, request: HttpRequest, user, **kwargs) -> None:
    """On a successful login, clear the failures recorded against that account, and no other.

    Axes's own AXES_RESET_ON_SUCCESS clears every failure that matches any lockout parameter,
    so a login as the attacker's own account also cleared its guesses at other accounts from the
    same address; it is off (settings), and this receiver of user_logged_in replaces it.
    """
    axes_reset(username=user.get_username())


def lockout_parameters(request_or_attempt, credentials: dict | None = None) -> list[str]:
    """What failures are counted by (settings.AXES_LOCKOUT_PARAMETERS): a login's account and
    address separately; a token's address only, since a wrong token names no account."""
    if credentials and "token" in credentials:
        return ["ip_address"]
    return ["username", "ip_address"]


def lockout_message() -> str:
    minutes = round(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    return (
        "Too many failed logins for this account or from this address; "
        f"try again in {minutes} minutes."
    )


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """The answer to a locked-out login: the GraphQL payload's THROTTLED error, or a JSON 429."""
    retry_after = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    if original_response is not None and request.path == reverse("graphql"):
        response = original_response  # the login payload already says so, as a field error
    else:
        response = JsonResponse(
            {"errors": [{"message": lockout_message(), "extensions": {"code": "THROTTLED"}}]},
            status=429,
        )
    response["Retry-After"] = retry_after
    return response
