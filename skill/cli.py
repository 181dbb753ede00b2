"""The `connection-game` command: play in the terminal, serve over HTTP, forget a household."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

from skill.config import Settings
from skill.store.port import StoreError


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    if getattr(args, "db", None):
        settings = dataclasses.replace(settings, db_path=Path(args.db), table_name=None)
    return settings


def _store_label(settings: Settings) -> str:
    if settings.table_name:
        endpoint = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB", "AWS")
        return f"DynamoDB table {settings.table_name} ({endpoint})"
    return f"embedded store {settings.sqlite_path()}"


def cmd_play(args: argparse.Namespace) -> int:
    from skill.device.terminal import Terminal
    from skill.wiring import SkillApp, configure_logging

    settings = dataclasses.replace(_settings(args), log_level="WARNING")
    configure_logging(settings)
    print(f"Progress: {_store_label(settings)}")
    app = SkillApp(settings)
    app.store.load("probe")  # a store that cannot be opened is a clear error, not a game
    return Terminal(app, household=args.household, locale=args.locale, fast=args.fast).run()


def cmd_forget(args: argparse.Namespace) -> int:
    from skill.alexa.handlers import household_key
    from skill.device.terminal import terminal_user_id
    from skill.wiring import make_store

    settings = _settings(args)
    make_store(settings).delete(household_key(terminal_user_id(args.household)))
    print(f"Forgot household {args.household!r} in the {_store_label(settings)}.")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from skill.web import serve

    return serve(host=args.host, port=args.port, verify=not args.no_verify)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="connection-game", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    play = sub.add_parser("play", help="play an evening in the terminal (a terminal Echo)")
    play.add_argument("--fast", action="store_true", help="shorten listening pauses (demos, tests)")
    play.add_argument("--household", default="home", help="keeps separate couples apart")
    play.add_argument("--locale", default="en-US", help="Alexa locale, e.g. en-US")
    play.add_argument(
        "--db", help="embedded store file (default: $CONNECTION_GAME_DB or the user data directory)"
    )
    play.set_defaults(func=cmd_play)

    forget = sub.add_parser("forget", help="delete one household's names and history")
    forget.add_argument("--household", default="home")
    forget.add_argument("--db", help="embedded store file")
    forget.set_defaults(func=cmd_forget)

    serve = sub.add_parser("serve", help="serve the skill over HTTP (self-hosted endpoint)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument(
        "--no-verify",
        action="store_true",
        help="development only: skip Alexa signature checks (loud warning)",
    )
    serve.set_defaults(func=cmd_serve)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except StoreError as exc:
        print(f"connection-game: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nGoodbye. Your progress is saved.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
