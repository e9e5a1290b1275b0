"""``tandem serve``: the language server over stdio, TCP or WebSocket."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import sys

LOOPBACK_HOSTS = {"localhost"}


def address(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT or PORT, got {value!r}")
    return host or "127.0.0.1", int(port)


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    serve = sub.add_parser("serve", help="run the language server (stdio by default)")
    transport = serve.add_mutually_exclusive_group()
    transport.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (default)")
    transport.add_argument("--tcp", type=address, metavar="[HOST:]PORT", help="listen on TCP")
    transport.add_argument("--ws", type=address, metavar="[HOST:]PORT", help="listen on WebSocket")
    serve.add_argument("--log-file", help="write the log here (default: stderr)")
    serve.add_argument(
        "-v", "--verbose", action="count", default=0, help="more logging (-vv: debug)"
    )
    serve.set_defaults(run=run)


def setup_logging(log_file: str | None, verbose: int) -> None:
    """Logging goes to a file or stderr, never stdout (stdout is the LSP channel)."""
    level = logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING
    handler: logging.Handler = (
        logging.FileHandler(log_file, encoding="utf-8")
        if log_file
        else logging.StreamHandler(sys.stderr)
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    if verbose < 2:
        logging.getLogger("pygls").setLevel(logging.WARNING)


def run(args: argparse.Namespace) -> int:
    for where in (args.tcp, args.ws):
        if where and not is_loopback(where[0]):
            print(
                f"tandem: refusing to listen on {where[0]}: only loopback addresses are allowed",
                file=sys.stderr,
            )
            return 2
    setup_logging(args.log_file, args.verbose)
    from tandem.lsp.server import create_server

    server = create_server()
    if args.tcp:
        server.start_tcp(*args.tcp)
    elif args.ws:
        server.start_ws(*args.ws)
    else:
        server.start_io()
    return 0
