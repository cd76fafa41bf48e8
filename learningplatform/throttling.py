"""Login throttling (django-axes): who a client is, and what it is told once locked out.

Failed logins are counted per account and per client address; either reaching
settings.AXES_FAILURE_LIMIT locks that account or address out for settings.AXES_COOLOFF_TIME,
counted from its latest failure. This covers the `login` mutation and the admin's login form.
A successful login clears the failures of its own account only, and only if it has some
(ThrottlingHandler: a login costs one statement of throttling, the failures' sums).
Failed personal access tokens (learningplatform/access_tokens.py) name no account: they are
counted per client address only, in the same count as failed logins from that address.
"""

import logging
from functools import reduce
from operator import or_

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_parameters, get_client_username
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.db.models import Q, Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse

log = logging.getLogger(__name__)


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


class ThrottlingHandler(AxesDatabaseHandler):
    """Axes's database handler (settings.AXES_HANDLER), in fewer statements.

    The failures of every lockout parameter (account, address) are summed in one statement,
    not one each. On a successful login only the account's own failures are cleared, not every
    failure matching any lockout parameter (AXES_RESET_ON_SUCCESS would clear the address's
    guesses at other accounts too), and only when the sum just taken found some; expired
    attempts are cleared on each failure, as axes does, not on each success too.
    """

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        username = get_client_username(request, credentials)
        parameters = get_client_parameters(
            username, request.axes_ip_address, request.axes_user_agent, request, credentials
        )
        conditions = [Q(**p) for p in parameters]
        attempts = AccessAttempt.objects.filter(reduce(or_, conditions))
        if settings.AXES_COOLOFF_TIME is not None:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        sums = attempts.aggregate(
            **{f"by_{n}": Sum("failures_since_start", filter=c) for n, c in enumerate(conditions)}
        )
        failures = [sums[f"by_{n}"] or 0 for n in range(len(conditions))]
        request.axes_account_failures = sum(
            f for p, f in zip(parameters, failures, strict=True) if "username" in p
        )
        return max(failures, default=0)

    def user_logged_in(self, sender, request: HttpRequest, user, **kwargs) -> None:
        log.info("AXES: Successful login by %s.", user.get_username())
        if getattr(request, "axes_account_failures", None) != 0:
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
