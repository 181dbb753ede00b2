"""Builds the ask-sdk-core skill object from the ordered handler list."""

from __future__ import annotations

from typing import Any

from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_model.services import ApiClient

from skill.service import GameService

from .handlers import ErrorHandler, GameAdapter, OwnSessionAttributes, handlers


class ApiClientOnFirstUse(ApiClient):
    """``reminders.BoundedApiClient``, made on its first call: it imports requests (~40 ms of
    a cold start, see tests/bench/bench_lambda.py), which only a turn setting a reminder
    needs."""

    def __init__(self) -> None:
        self._client: ApiClient | None = None

    def invoke(self, request: Any) -> Any:
        if self._client is None:
            from .reminders import BoundedApiClient

            self._client = BoundedApiClient()
        return self._client.invoke(request)


def build_skill(service: GameService, skill_id: str | None) -> CustomSkill:
    builder = CustomSkillBuilder(api_client=ApiClientOnFirstUse())
    for handler in handlers(GameAdapter(service)):
        builder.add_request_handler(handler)
    builder.add_global_response_interceptor(OwnSessionAttributes())
    builder.add_exception_handler(ErrorHandler())
    builder.skill_id = skill_id
    return builder.create()
