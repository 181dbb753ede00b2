"""The nightly reminder: a ``SetReminder`` effect becomes a call to Alexa's Reminders API.

The call goes through the SDK's reminder-management service client (built per request from
``context.System.apiEndpoint`` and ``apiAccessToken``) over ``BoundedApiClient``, the SDK's
requests-based client with timeouts: the SDK's own ``DefaultApiClient`` calls
``requests.post`` without a timeout, so a hung API would hang the skill past Alexa's 8 s.

Outcomes:

- ``CREATED``: the reminder exists; the response says so.
- ``ASK``: no permission yet (no consent token, or the API answered 401/403): the response
  carries a ``Connections.SendRequest`` "AskFor" directive and Alexa asks the user; the answer
  comes back later as a ``Connections.Response`` request.
- ``FAILED``: anything else (no API access in this request, a device without reminders, a
  timeout, a 5xx, an unreadable answer). The game goes on; nothing is raised.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import logging
from collections.abc import Callable
from typing import Any

from ask_sdk_core.api_client import DefaultApiClient
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model.interfaces.connections import SendRequestDirective
from ask_sdk_model.services import ServiceException
from ask_sdk_model.services.reminder_management import (
    AlertInfo,
    PushNotification,
    PushNotificationStatus,
    ReminderRequest,
    SpokenInfo,
    SpokenText,
    Trigger,
    TriggerType,
)

log = logging.getLogger("skill.alexa.reminders")

SCOPE = "alexa::alerts:reminders:skill:readwrite"
ASK_FOR_TOKEN = "connection-game-reminder"
# (connect, read) seconds for one API call. requests applies each limit separately, so a call
# takes at most about 1 s to connect plus 3 s between bytes of the answer: with the store's
# own time, the response stays well inside Alexa's 8 s.
TIMEOUT = (0.5, 1.5)  # connect, read: with the store's budget, well inside Alexa's 8 s
_NO_PERMISSION = (401, 403)


class Outcome(enum.Enum):
    CREATED = "created"
    ASK = "ask"
    FAILED = "failed"


class BoundedApiClient(DefaultApiClient):
    """The SDK's ``DefaultApiClient`` (requests, HTTPS only) with a timeout on every call."""

    def __init__(self, timeout: tuple[float, float] = TIMEOUT) -> None:
        super().__init__()
        self.timeout = timeout

    def _resolve_method(self, request: Any) -> Callable[..., Any]:
        method = super()._resolve_method(request)
        return functools.partial(method, timeout=self.timeout)


def ask_for_permission() -> SendRequestDirective:
    """Alexa's voice permission request for reminders (Connections.SendRequest, "AskFor")."""
    return SendRequestDirective(
        name="AskFor",
        payload={
            "@type": "AskForPermissionsConsentRequest",
            "@version": "1",
            "permissionScope": SCOPE,
        },
        token=ASK_FOR_TOKEN,
    )


def _system(hi: HandlerInput) -> Any:
    return getattr(getattr(hi.request_envelope, "context", None), "system", None)


def has_consent(hi: HandlerInput) -> bool:
    """Whether the request says the user granted this skill a permission (a consent token)."""
    user = getattr(_system(hi), "user", None)
    token = getattr(getattr(user, "permissions", None), "consent_token", None)
    return isinstance(token, str) and bool(token)


def _error_code(exc: ServiceException) -> str:
    body = getattr(exc, "body", None)
    code = getattr(body, "code", None)
    if code is None and isinstance(body, dict):
        code = body.get("code")
    return str(code or "")


def _request_time(hi: HandlerInput) -> dt.datetime | None:
    """The request's time as the API documents ``requestTime``: no offset (here UTC)."""
    stamp = getattr(hi.request_envelope.request, "timestamp", None)
    if not isinstance(stamp, dt.datetime):
        return None
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(dt.UTC).replace(tzinfo=None)
    return stamp.replace(microsecond=0)


def create(hi: HandlerInput, seconds: int, locale: str, text: str, *, may_ask: bool) -> Outcome:
    """Create a reminder ``seconds`` from now saying ``text``. ``may_ask`` is False when this
    request is Alexa's answer to our permission request, so a refusal cannot loop."""
    system = _system(hi)
    factory = hi.service_client_factory
    if factory is None or not getattr(system, "api_endpoint", None):
        log.info("reminder: no API access in this request")
        return Outcome.FAILED
    if may_ask and not has_consent(hi):
        log.info("reminder: no consent token, asking for the permission")
        return Outcome.ASK
    if not getattr(system, "api_access_token", None):
        log.info("reminder: no API access token in this request")
        return Outcome.FAILED
    request = ReminderRequest(
        request_time=_request_time(hi),
        trigger=Trigger(object_type=TriggerType.SCHEDULED_RELATIVE, offset_in_seconds=seconds),
        alert_info=AlertInfo(
            spoken_info=SpokenInfo(content=[SpokenText(locale=locale, text=text)])
        ),
        push_notification=PushNotification(status=PushNotificationStatus.ENABLED),
    )
    try:
        factory.get_reminder_management_service().create_reminder(request)
    except ServiceException as exc:
        status, code = exc.status_code, _error_code(exc)
        if status in _NO_PERMISSION and "DEVICE" not in code.upper():
            log.info("reminder: API answered %s, no permission", status)
            return Outcome.ASK if may_ask else Outcome.FAILED
        log.warning("reminder: API answered %s %s", status, code or "-")
        return Outcome.FAILED
    except Exception as exc:  # an unreadable answer, a client bug: never fail the turn
        log.warning("reminder: call failed (%s)", type(exc).__name__)
        return Outcome.FAILED
    log.info("reminder: created")
    return Outcome.CREATED
