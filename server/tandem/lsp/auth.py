"""The shared token a TCP or WebSocket client presents before the server serves it.

A client authenticates in ``initialize``, with ``initializationOptions.token`` (any LSP
editor can send that), or on WebSocket with ``Authorization: Bearer <token>`` on the
upgrade request. Until a connection has authenticated, a request other than
``initialize`` is answered with an error and reaches no handler, a notification is
dropped (JSON-RPC gives it no answer), ``exit`` closes the connection, and a wrong or
missing token answers ``initialize`` with an error and closes it.

Tokens are compared in constant time and never logged: a :class:`Verdict` carries a
reason for the log that names the method, never the parameters.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lsprotocol import types

NOT_AUTHENTICATED = -32002
"""LSP ``ServerNotInitialized``: the answer to a request sent before authenticating."""
AUTH_FAILED = -32803
"""LSP ``RequestFailed``: the answer to an ``initialize`` with a wrong or missing token."""
MAX_LOGGED_METHOD = 60


@dataclass(frozen=True)
class Verdict:
    """What to do with one message of a connection that is not yet admitted."""

    admit: bool = False
    reply: dict[str, Any] | None = None
    """A JSON-RPC error response to send back, if any."""
    close: bool = False
    reason: str = ""
    """Why the message was refused, fit for the log (it never holds the token)."""


ADMIT = Verdict(admit=True)


def token_matches(expected: str, presented: object) -> bool:
    """Constant-time comparison; anything but a string is a mismatch."""
    if not isinstance(presented, str):
        return False
    return hmac.compare_digest(expected.encode(), presented.encode())


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header value."""
    scheme, _, value = (header or "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def _init_options(message: Mapping[str, Any]) -> Any:
    params = message.get("params")
    return params.get("initializationOptions") if isinstance(params, Mapping) else None


def presented_token(message: Mapping[str, Any]) -> object:
    """``params.initializationOptions.token`` of an ``initialize`` message, if any."""
    options = _init_options(message)
    return options.get("token") if isinstance(options, Mapping) else None


def drop_token(message: dict[str, Any]) -> None:
    """Remove ``initializationOptions.token`` (and a stray ``tandem.token`` among the
    settings) so nothing past the check ever holds it."""
    options = _init_options(message)
    if isinstance(options, dict):
        options.pop("token", None)
        if isinstance(settings := options.get("tandem"), dict):
            settings.pop("token", None)


def error_reply(msg_id: Any, code: int, text: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": text}}


class Gate:
    """One connection's authentication: each connection has its own gate.

    With no token configured every message is admitted (a loopback server without a
    token behaves as before). ``authenticated`` starts true when the transport has
    already checked the token (a WebSocket bearer header).
    """

    def __init__(self, token: str | None, authenticated: bool = False) -> None:
        self._token = token
        self.authenticated = token is None or authenticated

    def check(self, message: object) -> Verdict:
        if self.authenticated:
            return ADMIT
        if not isinstance(message, Mapping) or not isinstance(message.get("method"), str):
            return Verdict(close=True, reason="a malformed message before authenticating")
        method: str = message["method"]
        if method == types.INITIALIZE and "id" in message:
            return self._initialize(message)
        if method == types.EXIT:
            return Verdict(close=True, reason="exit before authenticating")
        shown = method[:MAX_LOGGED_METHOD]
        if "id" not in message:
            return Verdict(reason=f"notification {shown!r} before authenticating")
        text = "not authenticated: send initialize with initializationOptions.token first"
        return Verdict(
            reply=error_reply(message["id"], NOT_AUTHENTICATED, text),
            reason=f"request {shown!r} before authenticating",
        )

    def _initialize(self, message: Mapping[str, Any]) -> Verdict:
        assert self._token is not None
        presented = presented_token(message)
        if token_matches(self._token, presented):
            self.authenticated = True
            return ADMIT
        text = "authentication failed: initializationOptions.token is missing or wrong"
        return Verdict(
            reply=error_reply(message["id"], AUTH_FAILED, text),
            close=True,
            reason="initialize with no token" if presented is None else "initialize: wrong token",
        )
