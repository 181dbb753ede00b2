"""The `connection-game` command: play in the terminal, serve over HTTP, forget a household."""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
from pathlib import Path

from skill.config import Settings
from skill.store.port import StoreError


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    if getattr(args, "db", None):
        settings = dataclasses.replace(settings, db_path=Path(args.db), table_name=None)
    return settings


def _print_fitted(line: str) -> None:
    """A long store path goes on a line of its own, so the rest fits an 80-column terminal."""
    head, sep, path = line.partition(" /")
    if sep and len(line) > shutil.get_terminal_size((80, 24)).columns:
        print(head)
        print(f"  /{path}")
    else:
        print(line)


def cmd_play(args: argparse.Namespace) -> int:
    from skill.device.terminal import Terminal
    from skill.device.voice import VoiceError, setup
    from skill.wiring import SkillApp, configure_logging

    settings = dataclasses.replace(_settings(args), log_level="WARNING")
    configure_logging(settings)
    _print_fitted(f"Progress: {settings.store_label()}")
    app = SkillApp(settings)
    app.store.load("probe")  # a store that cannot be opened is a clear error, not a game
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    out = Path(args.voice_out) if args.voice_out else None
    try:
        voice, notice = setup(args.voice, out, interactive=interactive, locale=args.locale)
    except (VoiceError, OSError) as exc:
        print(f"connection-game: {exc}", file=sys.stderr)
        return 2
    if notice:
        print(notice)
    if out is not None:
        print(f"Recording the evening to {out}")
    terminal = Terminal(
        app, household=args.household, locale=args.locale, fast=args.fast, voice=voice
    )
    try:
        return terminal.run()
    except VoiceError as exc:
        print(f"connection-game: {exc}", file=sys.stderr)
        return 2


def cmd_forget(args: argparse.Namespace) -> int:
    from skill.alexa.handlers import household_key
    from skill.device.terminal import terminal_user_id
    from skill.wiring import make_store

    settings = _settings(args)
    make_store(settings).delete(household_key(terminal_user_id(args.household)))
    print(f"Forgot household {args.household!r} in the {settings.store_label()}.")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        from skill.web import serve
    except ImportError as exc:  # the web endpoint's packages are an extra
        print(
            f"connection-game: serve needs the web extra ({exc.name} is missing): "
            "pip install 'connection-game[web]'",
            file=sys.stderr,
        )
        return 2

    return serve(host=args.host, port=args.port, verify=not args.no_verify)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="connection-game", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    play = sub.add_parser("play", help="play an evening in the terminal (a terminal Echo)")
    play.add_argument(
        "--fast",
        action="store_true",
        help="shorten listening pauses: 60 s take 3 s on a terminal, 0.12 s piped (demos, tests)",
    )
    play.add_argument("--household", default="home", help="keeps separate couples apart")
    play.add_argument("--locale", default="en-US", help="Alexa locale, e.g. en-US")
    play.add_argument(
        "--db", help="embedded store file (default: $CONNECTION_GAME_DB or the user data directory)"
    )
    play.add_argument(
        "--voice",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="speak with espeak-ng (default: when installed and on a terminal)",
    )
    play.add_argument(
        "--voice-out",
        metavar="FILE.wav",
        help="write everything said, silences and chimes included, to one WAV file",
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
