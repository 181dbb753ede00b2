"""Baseline skill for the benchmark: the same evening, written the way Amazon's samples write
a skill with persistence (StandardSkillBuilder + the SDK's DynamoDbAdapter, decorator
handlers on a module-level builder, ``lambda_handler = sb.lambda_handler()``).

It is the reference, so it does what a careful sample does and nothing more:

- persistent attributes are read once per session (a global request interceptor copies them
  into the session attributes when the session is new: one GetItem) and saved on every
  request that changes the game (``save_persistent_attributes``: one PutItem), so every turn
  is as durable as ours; help and repeat touch nothing;
- the table is the adapter's default shape (partition key ``id`` = the Alexa user id,
  attribute ``attributes``), named by ``DYNAMODB_PERSISTENCE_TABLE_NAME`` as in Alexa-hosted
  skills; the bench harness creates it (``auto_create_table=False``);
- the speech is comparable to ours: the same prompts (read from our English deck at import),
  names escaped for SSML, a 60 s listening pause as chained 10 s breaks and a chime.

Configuration comes from the environment (region, endpoint, credentials): boto3's own.
"""

import json
import os
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

from ask_sdk.standard import StandardSkillBuilder
from ask_sdk_core.utils import get_slot_value, is_intent_name, is_request_type

sb = StandardSkillBuilder(
    table_name=os.environ.get("DYNAMODB_PERSISTENCE_TABLE_NAME"), auto_create_table=False
)

_DECK = Path(__file__).resolve().parents[3] / "skill" / "content" / "en" / "prompts.json"
PROMPTS = sorted(json.loads(_DECK.read_text(encoding="utf-8"))["prompts"], key=lambda p: p["depth"])
TEXT = {p["id"]: p["text"] for p in PROMPTS}
LENGTH = 5  # prompts per evening
PAUSE = '<break time="10s"/>' * 6
CHIME = '<audio src="soundbank://soundlibrary/musical/amzn_sfx_bell_short_chime_01"/>'


def fresh():
    return {
        "names": [],
        "phase": "names",
        "asked": [],
        "count": 0,
        "turn": 0,
        "first": 0,
        "evenings": 0,
    }


def save(handler_input, state):
    manager = handler_input.attributes_manager
    manager.session_attributes = state
    manager.persistent_attributes = state
    manager.save_persistent_attributes()


def names(state):
    return [escape(n) for n in state["names"]]


def ask(state, lead):
    """The current prompt for the current speaker, the pause, and the next question."""
    speaker = (state["first"] + state["turn"]) % 2
    a, b = names(state)[speaker], names(state)[1 - speaker]
    text = escape(TEXT[state["asked"][-1]])
    then = f"Ready for {b}'s turn?" if state["turn"] == 0 else "Ready for the next one?"
    lead = lead.format(speaker=a, listener=b)
    return f"{lead} <s>{text}</s> {PAUSE}{CHIME} {then}", then


def next_prompt(state):
    seen = set(state["asked"])
    state["asked"].append(next(p["id"] for p in PROMPTS if p["id"] not in seen))
    state["count"] += 1
    state["turn"] = 0
    state["phase"] = "answering"


@sb.global_request_interceptor()
def load_once_per_session(handler_input):
    session = handler_input.request_envelope.session
    if session is not None and session.new:
        stored = handler_input.attributes_manager.persistent_attributes  # GetItem
        state = {k: int(v) if isinstance(v, Decimal) else v for k, v in stored.items()}
        handler_input.attributes_manager.session_attributes = state or fresh()


@sb.request_handler(can_handle_func=is_request_type("LaunchRequest"))
def launch_handler(handler_input):
    state = handler_input.attributes_manager.session_attributes
    if state["phase"] == "paused":
        speaker = names(state)[(state["first"] + state["turn"]) % 2]
        text = escape(TEXT[state["asked"][-1]])
        a, b = names(state)
        speech = (
            f"Hello again, {a} and {b}. You stopped at {speaker}'s answer to: {text} "
            "Pick up where you left off?"
        )
        return (
            handler_input.response_builder.speak(speech).ask("Pick up where you left off?").response
        )
    if len(state["names"]) == 2:
        question = "Ready to start an evening together?"
        speech = "Welcome back, {} and {}. {}".format(*names(state), question)
        return handler_input.response_builder.speak(speech).ask(question).response
    question = "What's the first name of one of you?"
    speech = (
        "Welcome to Connection Game: a few good questions, asked aloud, so the two of you can "
        f"really hear each other tonight. {question}"
    )
    return handler_input.response_builder.speak(speech).ask(question).response


@sb.request_handler(can_handle_func=is_intent_name("NameIntent"))
def name_handler(handler_input):
    state = handler_input.attributes_manager.session_attributes
    name = (get_slot_value(handler_input, "name") or "").strip().title()[:40]
    if not name or len(state["names"]) >= 2:
        question = "What's the first name of one of you?"
        return (
            handler_input.response_builder.speak(f"I didn't catch a first name. {question}")
            .ask(question)
            .response
        )
    state["names"].append(name)
    if len(state["names"]) == 1:
        question = "And your partner's first name?"
        speech = f"Thank you, {escape(name)}. {question}"
    else:
        state["phase"] = "ready"
        question = "Ready to start an evening together?"
        speech = "Thank you, {} and {}. {}".format(*names(state), question)
    save(handler_input, state)
    return handler_input.response_builder.speak(speech).ask(question).response


@sb.request_handler(can_handle_func=is_intent_name("AMAZON.YesIntent"))
def yes_handler(handler_input):
    state = handler_input.attributes_manager.session_attributes
    if state["phase"] in ("answering", "reflecting"):
        return next_handler(handler_input)
    if state["phase"] == "ready":
        state["phase"], state["count"] = "scene", 0
        question = "Ready for the first question?"
        speech = (
            "Here's how it works. I ask one of you a question, and you answer while the other "
            "only listens. Then it's the other's turn. Put your phones away, and sit so you can "
            f"see each other. {question}"
        )
    elif state["phase"] == "paused":
        state["phase"] = "answering"
        speech, question = ask(state, "{speaker}, here it is again.")
    else:
        next_prompt(state)
        speech, question = ask(
            state,
            "{speaker}, this one's for you. "
            "{listener}, your only job is to listen: no fixing, no advice.",
        )
    save(handler_input, state)
    return handler_input.response_builder.speak(speech).ask(question).response


@sb.request_handler(can_handle_func=is_intent_name("NextIntent"))
def next_handler(handler_input):
    state = handler_input.attributes_manager.session_attributes
    if state["phase"] == "answering" and state["turn"] == 0:
        state["phase"] = "reflecting"
        a, b = names(state)[state["first"] % 2], names(state)[1 - state["first"] % 2]
        question = f"{b}, ready for your turn?"
        speech = (
            f"{b}, what would you like to know more about? Ask {a} one follow-up question. "
            f"{question}"
        )
    elif state["phase"] == "reflecting":
        state["phase"], state["turn"] = "answering", 1
        speech, question = ask(state, "{speaker}, same question for you.")
    elif state["count"] >= LENGTH:
        state.update(phase="ready", turn=0, evenings=state["evenings"] + 1)
        save(handler_input, state)
        evenings = f"{state['evenings']} evening{'s' if state['evenings'] != 1 else ''}"
        speech = f"That was tonight's last question. That makes {evenings} together. Good night."
        return handler_input.response_builder.speak(speech).set_should_end_session(True).response
    else:
        state["first"] = 1 - state["first"]
        next_prompt(state)
        speech, question = ask(state, "{speaker}, you go first this time.")
    save(handler_input, state)
    return handler_input.response_builder.speak(speech).ask(question).response


@sb.request_handler(can_handle_func=is_intent_name("AMAZON.HelpIntent"))
def help_handler(handler_input):
    question = "Shall we go on to the next question?"
    speech = (
        "While one of you talks, the other just listens. Say next when you're done, more time "
        f"to keep talking, skip for a different question, or lighter or deeper. {question}"
    )
    return handler_input.response_builder.speak(speech).ask(question).response


@sb.request_handler(can_handle_func=is_intent_name("AMAZON.RepeatIntent"))
def repeat_handler(handler_input):
    state = handler_input.attributes_manager.session_attributes
    if not state["asked"]:
        return help_handler(handler_input)
    speech, question = ask(state, "{speaker}, here it is again.")
    return handler_input.response_builder.speak(speech).ask(question).response


@sb.request_handler(
    can_handle_func=lambda hi: (
        is_intent_name("AMAZON.StopIntent")(hi) or is_intent_name("AMAZON.CancelIntent")(hi)
    )
)
def stop_handler(handler_input):
    state = handler_input.attributes_manager.session_attributes
    if state["phase"] in ("answering", "reflecting"):
        state["phase"] = "paused"
        save(handler_input, state)
    speech = (
        "I've saved your place. "
        "Next time, just say: Alexa, ask connection game for the next question."
    )
    return handler_input.response_builder.speak(speech).set_should_end_session(True).response


@sb.request_handler(can_handle_func=is_request_type("SessionEndedRequest"))
def session_ended_handler(handler_input):
    return handler_input.response_builder.response


@sb.request_handler(can_handle_func=lambda handler_input: True)
def fallback_handler(handler_input):
    question = "Shall we go on?"
    return (
        handler_input.response_builder.speak(f"Sorry, I didn't get that. {question}")
        .ask(question)
        .response
    )


@sb.exception_handler(can_handle_func=lambda handler_input, exception: True)
def error_handler(handler_input, exception):
    question = "Shall we try that again?"
    return (
        handler_input.response_builder.speak(f"Sorry, something went wrong. {question}")
        .ask(question)
        .response
    )


lambda_handler = sb.lambda_handler()
