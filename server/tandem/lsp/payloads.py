"""Typed command payloads, decoded from the one JSON object a command receives.

Each command takes a single object argument (or none). Field names are the wire
names (camelCase). Decoding is strict: a missing required field, a value of the
wrong type or an unknown field is an ``InvalidArguments`` error naming the field.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from tandem.core.errors import InvalidArguments

T = TypeVar("T")


@dataclass(frozen=True)
class RangeArg:
    start: tuple[int, int]
    end: tuple[int, int]


@dataclass(frozen=True)
class FolderArgs:
    uri: str | None = None


@dataclass(frozen=True)
class UriArgs:
    uri: str


def decode(cls: type[T], command: str, args: tuple[Any, ...]) -> T:
    if len(args) == 0 or (len(args) == 1 and args[0] is None):
        raw: dict[str, Any] = {}
    elif len(args) == 1 and isinstance(args[0], dict):
        raw = args[0]
    else:
        raise InvalidArguments(f"{command} takes one object argument")
    decoded: T = _decode_object(cls, raw, command)
    return decoded


def _decode_object(cls: Any, raw: dict[str, Any], where: str) -> Any:
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in raw:
        if key not in fields:
            raise InvalidArguments(f"{where}: unknown argument '{key}'")
    values = {}
    for name, f in fields.items():
        if name not in raw:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise InvalidArguments(f"{where}: missing argument '{name}'")
            continue
        values[name] = _value(hints[name], raw[name], f"{where}: '{name}'")
    return cls(**values)


def _value(hint: Any, value: Any, where: str) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is RangeArg:
        return _range(value, where)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _value(inner[0], value, where)
    if origin is list:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InvalidArguments(f"{where} must be a list of strings")
        return list(value)
    if origin is Literal:
        if value not in args:
            choices = ", ".join(repr(a) for a in args)
            raise InvalidArguments(f"{where} must be one of {choices}")
        return value
    expected = _SCALARS.get(hint)
    if expected is None:
        raise TypeError(f"unsupported payload type {hint}")
    if not isinstance(value, expected) or (hint is not bool and isinstance(value, bool)):
        raise InvalidArguments(f"{where} must be a {hint.__name__}")
    return value


_SCALARS: dict[Any, type | tuple[type, ...]] = {
    str: str,
    bool: bool,
    int: int,
    float: (int, float),
}


def _range(value: Any, where: str) -> RangeArg:
    if not isinstance(value, dict):
        raise InvalidArguments(f"{where} must be a range object")
    start = _position(value.get("start"), where)
    end = _position(value.get("end"), where)
    if end < start:
        raise InvalidArguments(f"{where} ends before it starts")
    return RangeArg(start, end)


def _position(value: Any, where: str) -> tuple[int, int]:
    if not isinstance(value, dict):
        raise InvalidArguments(f"{where} needs start and end positions")
    line, char = value.get("line"), value.get("character")
    for n in (line, char):
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise InvalidArguments(f"{where}: positions need non-negative integer line/character")
    assert isinstance(line, int) and isinstance(char, int)
    return (line, char)


@dataclass(frozen=True)
class Empty:
    pass


@dataclass(frozen=True)
class ChatArgs:
    prompt: str
    sessionId: str | None = None
    uri: str | None = None
    range: RangeArg | None = None


@dataclass(frozen=True)
class AskArgs:
    uri: str
    range: RangeArg
    question: str | None = None
    diagnostics: list[str] | None = None
    sessionId: str | None = None


@dataclass(frozen=True)
class PreviewArgs:
    prompt: str
    sessionId: str | None = None
    uri: str | None = None
    range: RangeArg | None = None
    budget: int | None = None


@dataclass(frozen=True)
class CancelArgs:
    turnId: str | None = None
    sessionId: str | None = None


@dataclass(frozen=True)
class NewSessionArgs:
    title: str | None = None


@dataclass(frozen=True)
class ListSessionsArgs:
    includeArchived: bool = False


@dataclass(frozen=True)
class SessionArgs:
    sessionId: str


@dataclass(frozen=True)
class MaybeSessionArgs:
    sessionId: str | None = None


@dataclass(frozen=True)
class ResetArgs:
    mode: Literal["archive", "delete"] = "archive"


@dataclass(frozen=True)
class ExportArgs:
    sessionId: str | None = None
    format: Literal["markdown", "json"] = "markdown"


@dataclass(frozen=True)
class SearchArgs:
    query: str
