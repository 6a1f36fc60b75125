"""Fixtures for the verifier tests (the helpers they use live in ``support.py``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.verifier.support import DCV, World, controller_documents, standard_world


@pytest.fixture(scope="session")
def world() -> World:
    return standard_world()


@pytest.fixture(scope="session")
def dcv(vendor: Path) -> Path:
    return vendor / DCV


@pytest.fixture(scope="session")
def dcv_documents(dcv: Path) -> dict[str, Any]:
    """Controller documents for the https issuers of the 1EdTech fixtures.

    Their verification methods are ``<issuer>#<publicKeyMultibase>``; the 1EdTech validator
    reads the key from the fragment, which we never do. These documents are what those issuers
    would publish at their ids (the OB test-vector key and the others the fixtures use), served
    as preloads the way an office verifying offline would.
    """
    credentials = []
    for path in sorted(dcv.rglob("*.json")):
        credentials.append(json.loads(path.read_text()))
        credentials.extend(_embedded_endorsements(credentials[-1]))
    return controller_documents(credentials)


def _embedded_endorsements(value: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(value, dict):
        for key, member in value.items():
            if key == "endorsement" and isinstance(member, list):
                found.extend(m for m in member if isinstance(m, dict))
            found.extend(_embedded_endorsements(member))
    elif isinstance(value, list):
        for item in value:
            found.extend(_embedded_endorsements(item))
    return found
