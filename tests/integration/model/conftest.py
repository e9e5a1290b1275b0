"""Fixtures for the model client tests: a real HTTP model stub on 127.0.0.1."""

from __future__ import annotations

from tests.support.fixtures import model_stub  # noqa: F401
