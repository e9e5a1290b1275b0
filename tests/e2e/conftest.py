from __future__ import annotations

import pytest

from tests.support.fixtures import model_stub  # noqa: F401


@pytest.fixture(params=["vscode", "neovim"])
def profile(request: pytest.FixtureRequest) -> str:
    """The capability profile of a real editor the server is driven with."""
    return str(request.param)


from tests.support.redis_server import redis_server_private  # noqa: E402, F401
