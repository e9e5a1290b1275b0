from tests.support.fixtures import model_stub  # noqa: F401
