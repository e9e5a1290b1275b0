"""Command line: ``tandem serve | ask | context | history``."""

from __future__ import annotations

import argparse
import sys

from tandem import __version__
from tandem.cli import ask, history, serve
from tandem.core.errors import TandemError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tandem", description="A stateful AI workspace assistant for any LSP editor."
    )
    parser.add_argument("--version", action="version", version=f"tandem {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve.add_parser(sub)
    ask.add_parsers(sub)
    history.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args))
    except TandemError as error:
        print(f"tandem: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (`tandem context ... | head`)
        sys.stderr.close()
        return 0
