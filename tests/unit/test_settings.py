"""Settings: parsing never fails, precedence is as documented, docs stay in step."""

from __future__ import annotations

import dataclasses
import re
import typing
from pathlib import Path

import pytest

from tandem.core import settings as s

DOCS = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


def keys_of(cls, prefix: str = "") -> set[str]:
    out: set[str] = set()
    for name, hint in typing.get_type_hints(cls).items():
        if dataclasses.is_dataclass(hint):
            out |= keys_of(hint, f"{prefix}{name}.")
        else:
            out.add(prefix + name)
    return out


def test_docs_table_lists_exactly_the_settings():
    documented = set(re.findall(r"^\| `([a-zA-Z.]+)` \|", DOCS.read_text(), re.M))
    assert documented == keys_of(s.Settings)


@pytest.mark.parametrize(
    ("layers", "expected_name", "expected_window"),
    [
        ([], None, 128_000),
        ([{"model": {"name": "init"}}], "init", 128_000),
        ([{"model": {"name": "init"}}, {"model": {"contextWindow": 8192}}], "init", 8192),
        ([{"model": {"name": "init"}}, {"model": {"name": "config"}}], "config", 128_000),
        ([{"model": {"name": "init"}}, None, {"model": {"name": "folder"}}], "folder", 128_000),
    ],
    ids=["defaults", "init-options", "config-adds", "config-wins", "folder-wins"],
)
def test_precedence(layers, expected_name, expected_window):
    parsed = s.parse(s.merge(*layers))
    assert parsed.problems == []
    assert parsed.settings.model.name == expected_name
    assert parsed.settings.model.contextWindow == expected_window


def test_init_options_under_tandem_or_bare():
    assert s.unwrap_init_options({"tandem": {"model": {}}}) == {"model": {}}
    assert s.unwrap_init_options({"model": {}}) == {"model": {}}
    assert s.unwrap_init_options("junk") == {}


@pytest.mark.parametrize(
    "raw",
    [
        {"model": {"contextWindow": "big"}},
        {"model": {"contextWindow": True}},
        {"model": {"contextWindow": 10}},
        {"model": {"temperature": 9}},
        {"history": {"backend": "mongo"}},
        {"workspace": {"ignore": "*.log"}},
        {"model": {"headers": {"X": 1}}},
        {"model": 3},
        {"nope": 1},
    ],
)
def test_invalid_values_are_reported_and_defaulted(raw):
    parsed = s.parse(raw)
    assert parsed.problems, raw
    assert parsed.settings == s.Settings()


def test_not_an_object():
    parsed = s.parse([1, 2])
    assert parsed.settings == s.Settings() and "must be an object" in parsed.problems[0]


def test_env_fallbacks(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://env/v1")
    monkeypatch.setenv("TANDEM_MODEL", "env-model")
    model = s.parse({}).settings.model
    assert model.resolved_base_url() == "http://env/v1"
    assert model.resolved_name() == "env-model"
    model = s.parse({"model": {"baseUrl": "http://set/v1", "name": "m"}}).settings.model
    assert (model.resolved_base_url(), model.resolved_name()) == ("http://set/v1", "m")


def test_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("TANDEM_DATA_DIR", str(tmp_path))
    assert s.data_dir() == tmp_path
