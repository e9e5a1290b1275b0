"""``tandem serve``: the language server over stdio, TCP or WebSocket.

TCP and WebSocket listen on loopback unless ``--allow-remote`` is given, and a
non-loopback address also needs a token (``TANDEM_TOKEN`` or ``--token-file``; never a
command-line value, which ``ps`` would show). When a token is given, every client must
present it, on loopback too (see ``tandem.lsp.auth``).
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import stat
import sys
from collections.abc import Mapping
from pathlib import Path

from tandem.core.pipes import log_handler

LOOPBACK_HOSTS = {"localhost"}
TOKEN_ENV = "TANDEM_TOKEN"
MIN_TOKEN_CHARS = 16
MAKE_TOKEN = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


SWITCH_INTERVAL = 0.0001
"""Seconds a thread holds the GIL before one waiting for it may take it (Python's
default is 5 ms). Git and history reads run on threads (and context assembly on one
when its worker process is down); every keystroke is handled by the event loop thread,
which would otherwise wait up to 5 ms at each hand-over while the others work."""


class Refused(Exception):
    """The server will not start as asked; ``str(error)`` says why and what to do."""


def address(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT or PORT, got {value!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    serve = sub.add_parser("serve", help="run the language server (stdio by default)")
    transport = serve.add_mutually_exclusive_group()
    transport.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (default)")
    transport.add_argument("--tcp", type=address, metavar="[HOST:]PORT", help="listen on TCP")
    transport.add_argument("--ws", type=address, metavar="[HOST:]PORT", help="listen on WebSocket")
    serve.add_argument(
        "--allow-remote",
        action="store_true",
        help=f"allow a non-loopback HOST for --tcp/--ws (needs ${TOKEN_ENV} or --token-file)",
    )
    serve.add_argument(
        "--token-file",
        metavar="PATH",
        help=f"the token clients must present (default: ${TOKEN_ENV}, if set)",
    )
    serve.add_argument("--log-file", help="write the log here (default: stderr)")
    serve.add_argument(
        "-v", "--verbose", action="count", default=0, help="more logging (-vv: debug)"
    )
    serve.set_defaults(run=run)


def setup_logging(log_file: str | None, verbose: int) -> None:
    """Logging goes to a file or stderr, never stdout (stdout is the LSP channel)."""
    level = logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING
    root = logging.getLogger()
    root.handlers[:] = [log_handler(log_file)]
    root.setLevel(level)
    if verbose < 2:
        logging.getLogger("pygls").setLevel(logging.WARNING)
    # websockets' debug log prints frames and request headers, which carry the token.
    logging.getLogger("websockets").setLevel(max(level, logging.INFO))


def read_token(env: Mapping[str, str], token_file: str | None) -> str | None:
    """The token from ``--token-file`` (first) or ``$TANDEM_TOKEN``; ``None`` if neither."""
    if token_file:
        path = Path(token_file)
        try:
            token = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as error:
            raise Refused(f"cannot read the token file {token_file}: {error}") from error
        _warn_if_shared(path)
    else:
        token = env.get(TOKEN_ENV, "").strip()
        if not token:
            return None
    if len(token) < MIN_TOKEN_CHARS or any(c.isspace() for c in token):
        raise Refused(
            f"the token must be at least {MIN_TOKEN_CHARS} characters, without spaces; "
            f"make one with: {MAKE_TOKEN}"
        )
    return token


def _warn_if_shared(path: Path) -> None:
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        print(f"tandem: warning: {path} is readable by other users (chmod 600 it)", file=sys.stderr)


def check_address(host: str, allow_remote: bool, token: str | None) -> None:
    """Loopback is always allowed; anything else needs ``--allow-remote`` and a token."""
    if is_loopback(host):
        return
    if not allow_remote:
        raise Refused(
            f"refusing to listen on {host}: it is not a loopback address; "
            f"pass --allow-remote (with ${TOKEN_ENV} or --token-file) to allow it"
        )
    if token is None:
        raise Refused(
            f"refusing to listen on {host} without a token: "
            f"set ${TOKEN_ENV} or pass --token-file PATH (make one with: {MAKE_TOKEN})"
        )


def network_token(args: argparse.Namespace) -> str | None:
    """Check the network options; the token clients must present, if any."""
    where = args.tcp or args.ws
    if where is None:
        if args.allow_remote or args.token_file:
            raise Refused("--allow-remote and --token-file apply to --tcp and --ws only")
        return None
    token = read_token(os.environ, args.token_file)
    os.environ.pop(TOKEN_ENV, None)  # git and other children need not inherit it
    check_address(where[0], args.allow_remote, token)
    return token


def run(args: argparse.Namespace) -> int:
    try:
        token = network_token(args)
    except Refused as error:
        print(f"tandem: {error}", file=sys.stderr)
        return 2
    setup_logging(args.log_file, args.verbose)
    sys.setswitchinterval(SWITCH_INTERVAL)
    from tandem.lsp.listen import serve_network
    from tandem.lsp.server import create_server
    from tandem.lsp.stdio import start_stdio

    server = create_server()
    where = args.tcp or args.ws
    if where is None:
        start_stdio(server)
        return 0
    return serve_network(server, "tcp" if args.tcp else "ws", where[0], where[1], token)
