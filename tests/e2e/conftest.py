from __future__ import annotations

import pytest


@pytest.fixture(params=["vscode", "neovim"])
def profile(request: pytest.FixtureRequest) -> str:
    """The capability profile of a real editor the server is driven with."""
    return str(request.param)
