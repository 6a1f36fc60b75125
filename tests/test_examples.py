"""The sample files under ``examples/`` are what ``scripts/make_examples.py`` makes, and what
the README says they are (the walkthrough test runs them; this checks them without a server)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

from schemas.baking import PNG_SIGNATURE, unbake

PROJECT = Path(__file__).resolve().parents[1]
EXAMPLES = PROJECT / "examples"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_examples", PROJECT / "scripts" / "make_examples.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_checked_in_credential_is_the_scripts() -> None:
    written = json.loads((EXAMPLES / "credential.json").read_text(encoding="utf-8"))
    assert written == _script().unsigned_credential()
    assert "proof" not in written  # for `microcred sign` to sign


def test_the_badge_image_is_a_plain_png() -> None:
    data = (EXAMPLES / "badge.png").read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert unbake(data) is None  # nothing baked in yet: the walkthrough bakes maria.json into it
