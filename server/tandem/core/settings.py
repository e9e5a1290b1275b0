"""One typed, fully defaulted settings tree.

Precedence, lowest first (each source overrides keys of the one before it):

1. the defaults below;
2. ``initializationOptions`` from the client, under the key ``tandem`` or bare;
3. ``workspace/configuration`` section ``tandem``, pulled per folder
   (``workspace/didChangeConfiguration`` only triggers a re-pull).

Keys are camelCase on the wire (``model.baseUrl``). Parsing never fails: a value of
the wrong type or out of range is reported in ``problems`` and replaced by the
default, and unknown keys are reported and ignored.

Secrets are never setting values: ``model.apiKeyEnv`` names the environment variable
that holds the key.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from platformdirs import user_data_dir


@dataclass(frozen=True)
class ModelSettings:
    baseUrl: str | None = None
    """OpenAI-compatible endpoint; unset: ``OPENAI_BASE_URL``, else OpenAI's."""
    name: str | None = None
    """Model name; unset: ``TANDEM_MODEL``, else ``gpt-4o-mini``."""
    apiKeyEnv: str = "OPENAI_API_KEY"
    contextWindow: int = 128_000
    maxOutputTokens: int = 4_096
    temperature: float | None = None
    timeoutSeconds: float = 120.0
    maxRetries: int = 2
    headers: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None
    """Token encoding (``o200k_base``, ``cl100k_base``); unset: follows the model."""

    def resolved_base_url(self) -> str | None:
        return self.baseUrl or os.environ.get("OPENAI_BASE_URL") or None

    def resolved_name(self) -> str:
        return self.name or os.environ.get("TANDEM_MODEL") or "gpt-4o-mini"


@dataclass(frozen=True)
class HistorySettings:
    backend: Literal["sqlite", "redis"] = "sqlite"
    redisUrl: str = "redis://127.0.0.1:6379/0"
    keepRecentTurns: int = 6
    """Turns always sent verbatim; older ones are summarised or dropped."""


@dataclass(frozen=True)
class ContextSettings:
    marginTokens: int = 512
    """Kept free below the window, on top of ``model.maxOutputTokens``."""
    maxBudgetTokens: int | None = None
    """Caps the input budget below what the window allows (cost control)."""
    maxFileBytes: int = 1_000_000
    """Files larger than this are not indexed or sent."""


@dataclass(frozen=True)
class WorkspaceSettings:
    ignore: list[str] = field(default_factory=list)
    """Extra gitignore-style patterns never tracked or sent."""
    allow: list[str] = field(default_factory=list)
    """Patterns allowed even though the built-in secret deny list matches them."""
    watch: Literal["auto", "client", "server", "off"] = "auto"
    """Who reports on-disk changes: the editor, Tandem's own watcher, or nobody."""
    baselineRef: str | None = None
    """Git ref that "changes since" compares with; unset: HEAD at session start."""


@dataclass(frozen=True)
class Settings:
    model: ModelSettings = field(default_factory=ModelSettings)
    history: HistorySettings = field(default_factory=HistorySettings)
    context: ContextSettings = field(default_factory=ContextSettings)
    workspace: WorkspaceSettings = field(default_factory=WorkspaceSettings)


@dataclass(frozen=True)
class Parsed:
    settings: Settings
    problems: list[str]


_RANGES: dict[str, tuple[float, float]] = {
    "model.contextWindow": (256, 10_000_000),
    "model.maxOutputTokens": (1, 1_000_000),
    "model.temperature": (0.0, 2.0),
    "model.timeoutSeconds": (0.1, 3600.0),
    "model.maxRetries": (0, 10),
    "history.keepRecentTurns": (0, 1000),
    "context.marginTokens": (0, 100_000),
    "context.maxBudgetTokens": (64, 10_000_000),
    "context.maxFileBytes": (1, 1_000_000_000),
}


def unwrap_init_options(options: Any) -> Mapping[str, Any]:
    """``initializationOptions`` may carry settings under ``tandem`` or bare.

    ``token`` (a network client's credential) is never a setting: it is dropped here,
    so it is neither reported as unknown nor kept.
    """
    if not isinstance(options, Mapping):
        return {}
    inner = options.get("tandem")
    found = inner if isinstance(inner, Mapping) else options
    return {key: value for key, value in found.items() if key != "token"}


def merge(*layers: Any) -> dict[str, Any]:
    """Deep-merge mappings; later layers win key by key. Non-mappings are skipped."""
    out: dict[str, Any] = {}
    for layer in layers:
        if isinstance(layer, Mapping):
            _merge_into(out, layer)
    return out


def _merge_into(out: dict[str, Any], layer: Mapping[str, Any]) -> None:
    for key, value in layer.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            _merge_into(out[key], value)
        elif isinstance(value, Mapping):
            out[key] = merge(value)
        else:
            out[key] = value


def parse(raw: Any) -> Parsed:
    """Parse a settings mapping; never raises."""
    problems: list[str] = []
    if raw is not None and not isinstance(raw, Mapping):
        problems.append(f"tandem settings must be an object, got {type(raw).__name__}")
        raw = {}
    settings = _parse_dataclass(Settings, raw or {}, "", problems)
    return Parsed(settings, problems)


def _parse_dataclass(cls: Any, raw: Mapping[str, Any], prefix: str, problems: list[str]) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    for key in raw:
        if key not in known:
            problems.append(f"unknown setting '{prefix}{_clip(str(key))}' ignored")
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in raw:
            continue
        path = prefix + f.name
        hint = hints[f.name]
        value = raw[f.name]
        if dataclasses.is_dataclass(hint):
            if isinstance(value, Mapping):
                values[f.name] = _parse_dataclass(hint, value, path + ".", problems)
            else:
                problems.append(f"'{path}' must be an object; using defaults")
            continue
        ok, converted = _convert(hint, value)
        if ok and _in_range(path, converted):
            values[f.name] = converted
        else:
            problems.append(f"'{path}' has an invalid value {_shown(value)}; using the default")
    return cls(**values)


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _shown(value: Any) -> str:
    """The value for a problem message: short, and never failing."""
    try:
        return _clip(repr(value))
    except ValueError:  # an integer too long to print (Python's int digit limit)
        return f"a {type(value).__name__} too large to show"


def _in_range(path: str, value: Any) -> bool:
    bounds = _RANGES.get(path)
    if bounds is None or value is None:
        return True
    return bool(bounds[0] <= value <= bounds[1])


def _convert(hint: Any, value: Any) -> tuple[bool, Any]:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        for arg in args:
            ok, converted = _convert(arg, value)
            if ok:
                return True, converted
        return False, None
    if hint is type(None):
        return value is None, None
    if origin is Literal:
        return value in args, value
    if origin is list:
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        return ok, list(value) if ok else None
    if origin is dict:
        ok = isinstance(value, Mapping) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        )
        return ok, dict(value) if ok else None
    if hint is bool:
        return isinstance(value, bool), value
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool), value
    if hint is float:
        return _to_float(value)
    if hint is str:
        return isinstance(value, str) and value != "", value
    return False, None


def _to_float(value: Any) -> tuple[bool, float | None]:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False, None
    try:
        return True, float(value)
    except OverflowError:  # an integer beyond any float
        return False, None


def to_wire(settings: Settings) -> dict[str, Any]:
    """The settings as the JSON object a client would send."""
    return dataclasses.asdict(settings)


def data_dir() -> Path:
    """Where Tandem keeps history and indexes: ``TANDEM_DATA_DIR``, else the user data dir."""
    configured = os.environ.get("TANDEM_DATA_DIR")
    return Path(configured) if configured else Path(user_data_dir("tandem", appauthor=False))
