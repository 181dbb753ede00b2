"""Builds the ask-sdk-core skill object from the ordered handler list."""

from __future__ import annotations

from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import SkillBuilder

from skill.service import GameService

from .handlers import ErrorHandler, GameAdapter, handlers


def build_skill(service: GameService, skill_id: str | None) -> CustomSkill:
    builder = SkillBuilder()
    for handler in handlers(GameAdapter(service)):
        builder.add_request_handler(handler)
    builder.add_exception_handler(ErrorHandler())
    builder.skill_id = skill_id
    return builder.create()
