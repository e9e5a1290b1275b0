"""Shared pytest fixtures; import the ones a folder needs in its ``conftest.py``::

from tests.support.fixtures import model_stub  # noqa: F401
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.model_stub import ModelStub


@pytest.fixture
def model_stub() -> Iterator[ModelStub]:
    """A model stub of the test's own on 127.0.0.1 (``stub.url`` is the base URL)."""
    with ModelStub() as stub:
        yield stub
