import pytest

from tests.catalog.consent.files import make_authority


@pytest.fixture(scope="session")
def authority(tmp_path_factory):
    """A test certificate authority and signer, made once per run."""
    return make_authority(tmp_path_factory.mktemp("c2pa"))
