"""AWS Lambda entry point (handler: app.lambda_handler). Configuration comes from the
environment: TABLE_NAME (DynamoDB table) and SKILL_ID (requests for other skills refused)."""

import logging
from functools import cache

from skill.config import Settings
from skill.wiring import EMPTY_RESPONSE, InvalidEnvelope, SkillApp, configure_logging


@cache
def _app() -> SkillApp:
    settings = Settings.from_env()
    configure_logging(settings)
    return SkillApp(settings)


def lambda_handler(event, context):
    try:
        return _app().handle(event, context)
    except InvalidEnvelope as exc:  # not from Alexa: answer validly, touch nothing
        logging.getLogger("skill").warning("rejected: %s", exc)
        return dict(EMPTY_RESPONSE)
