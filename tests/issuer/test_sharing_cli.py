"""``microcred qr``, ``bake`` and ``unbake``: QR codes decoded back, bake → unbake round trips
(PNG and SVG, JSON and JWT), and baked badges from another issuer (the 1EdTech validator's
fixtures) unbaked and verified by ``microcred verify``."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from issuer.runtime import Runtime
from issuer.services.sharing import badge_png, qr_code
from schemas.baking import unbake
from tests.issuer.support import cli_env
from tests.issuer.support import run_cli as run
from tests.verifier.support import DCV, controller_documents

VENDOR = Path(__file__).resolve().parents[2].parent / "shared" / "vendor-data"


@pytest.fixture
def env(runtime: Runtime, settings: Any) -> dict[str, Any]:
    return cli_env(settings)


@pytest.fixture
def credential(env: dict[str, Any]) -> dict[str, Any]:
    """``microcred init`` and one ``microcred award``: the signed credential."""
    run(env, "init", "--issuer-name", "NM Public Education Department")
    args = (
        "award", "classroom-environment", "--recipient-email", "ana@aps.nm.example",
        "--recipient-name", "Ana Ortiz", "--score", "91", "--rubric-level", "proficient",
    )  # fmt: skip
    return json.loads(run(env, *args).stdout)


def _uuid(credential: dict[str, Any]) -> str:
    return credential["id"].rsplit("/", 1)[-1]


def _svg_modules(svg: bytes) -> set[tuple[int, int]]:
    path = re.search(rb'<path d="([^"]+)"', svg)
    assert path is not None
    return {(int(x), int(y)) for x, y in re.findall(rb"M(\d+),(\d+)H", path.group(1))}


# ------------------------------------------------------------------------------ qr


def test_qr_png_by_a_short_id_decodes_to_the_badge_link(
    env: dict[str, Any], credential: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "qr.png"
    result = run(env, "qr", _uuid(credential)[:8], "--out", str(out))
    assert credential["id"] in result.stderr and result.stdout == ""
    [barcode] = zxingcpp.read_barcodes(Image.open(out))
    assert barcode.text == credential["id"]
    assert barcode.ec_level == "Q"


def test_qr_svg_by_the_full_url_draws_the_code_of_the_link(
    env: dict[str, Any], credential: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "qr.svg"
    run(env, "qr", credential["id"], "--out", str(out))
    matrix = qr_code(credential["id"]).get_matrix()
    dark = {(x, y) for y, row in enumerate(matrix) for x, on in enumerate(row) if on}
    assert _svg_modules(out.read_bytes()) == dark


def test_qr_refuses_other_formats_and_unknown_ids(
    env: dict[str, Any], credential: dict[str, Any], tmp_path: Path
) -> None:
    assert (
        "must be a .png or .svg"
        in run(env, "qr", _uuid(credential), "--out", str(tmp_path / "x.gif"), code=64).stderr
    )
    missing = run(
        env, "qr", "00000000-0000-4000-8000-000000000000", "--out", str(tmp_path / "x.png"), code=1
    )
    assert "no credential" in missing.stderr


# ------------------------------------------------------------------------------ bake / unbake


@pytest.fixture
def images(tmp_path: Path) -> dict[str, Path]:
    png = tmp_path / "badge.png"
    png.write_bytes(badge_png({"name": "Classroom Environment", "humanCode": "APL-CE"}))
    svg = tmp_path / "badge.svg"
    svg.write_text(
        '<?xml version="1.0"?>\n<!-- the designer\'s comment -->\n'
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
        '<circle cx="5" cy="5" r="4"/></svg>\n'
    )
    return {"png": png, "svg": svg}


@pytest.mark.parametrize("kind", ["png", "svg"])
@pytest.mark.parametrize("form", ["json", "jwt"])
def test_bake_then_unbake_round_trips_a_file(
    env: dict[str, Any],
    credential: dict[str, Any],
    images: dict[str, Path],
    tmp_path: Path,
    kind: str,
    form: str,
) -> None:
    if form == "json":
        text = json.dumps(credential, ensure_ascii=False)
    else:
        text = run(env, "credentials", "show", _uuid(credential), "--format", "jwt").stdout.strip()
    source = tmp_path / f"credential.{form}"
    source.write_text(text)
    baked = tmp_path / f"baked.{kind}"
    run(None, "bake", str(images[kind]), str(source), "--out", str(baked))
    assert run(None, "unbake", str(baked)).stdout.strip() == text
    # re-baking replaces the credential; it never adds a second one
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"replaced": True}))
    again = tmp_path / f"again.{kind}"
    run(None, "bake", str(baked), str(other), "--out", str(again))
    assert json.loads(run(None, "unbake", str(again)).stdout) == {"replaced": True}
    data = again.read_bytes()
    assert data.count(b"openbadgecredential" if kind == "png" else b"<openbadges:credential") == 1


def test_bake_a_stored_credential_by_id(
    env: dict[str, Any], credential: dict[str, Any], images: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "mine.png"
    run(env, "bake", str(images["png"]), _uuid(credential)[:8], "--out", str(out))
    assert json.loads(run(None, "unbake", str(out)).stdout) == credential
    run(env, "bake", str(images["svg"]), credential["id"], "--format", "jwt", "--out", str(out))
    assert run(None, "unbake", str(out)).stdout.strip().count(".") == 2


def test_unbake_says_what_is_wrong(images: dict[str, Path], tmp_path: Path) -> None:
    assert (
        "carries no Open Badges credential"
        in run(None, "unbake", str(images["png"]), code=1).stderr
    )
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert "neither a PNG nor an SVG" in run(None, "unbake", str(text), code=64).stderr
    broken = tmp_path / "broken.png"
    broken.write_bytes(images["png"].read_bytes()[:100])
    run(None, "unbake", str(broken), code=64)
    assert "cannot read" in run(None, "unbake", str(tmp_path / "missing.png"), code=64).stderr
    bad = tmp_path / "bad.json"
    bad.write_text("not a credential")
    out = tmp_path / "o.png"
    assert (
        "cannot bake"
        in run(None, "bake", str(images["png"]), str(bad), "--out", str(out), code=64).stderr
    )


# ------------------------------------------------------------------------------ other issuers


@pytest.fixture(scope="module")
def dcv() -> Path:
    if not VENDOR.is_dir():
        pytest.fail(f"reference data missing: {VENDOR}")
    return VENDOR / DCV


@pytest.mark.parametrize("name", ["simple-json.png", "simple-json.svg"])
def test_another_issuers_baked_badge_unbakes_and_verifies(
    dcv: Path, tmp_path: Path, name: str
) -> None:
    """The 1EdTech validator's baked fixtures: `unbake` prints the credential, and
    `microcred verify` finds it valid given the issuer's published key (as a preload), both
    from the printed JSON and from the image; re-baked into our own badge, still valid."""
    unbaked = run(None, "unbake", str(dcv / name)).stdout
    document = json.loads(unbaked)
    assert unbake((dcv / name).read_bytes())[1].strip() == unbaked.strip()  # type: ignore[index]
    preloads = []
    for url, controller in controller_documents([document]).items():
        path = tmp_path / f"controller-{len(preloads)}.json"
        path.write_text(json.dumps(controller))
        preloads += ["--preload", f"{url}={path}"]
    printed = tmp_path / "unbaked.json"
    printed.write_text(unbaked)
    at = ["--at", "2026-11-01T12:00:00Z"]
    for source in (printed, dcv / name):
        report = json.loads(run(None, "verify", str(source), "--json", *at, *preloads).stdout)
        assert report["verdict"] == "valid", report
    ours = tmp_path / "rebaked.png"
    image = tmp_path / "ours.png"
    image.write_bytes(badge_png({"name": "Simple"}))
    run(None, "bake", str(image), str(printed), "--out", str(ours))
    report = json.loads(run(None, "verify", str(ours), "--json", *at, *preloads).stdout)
    assert report["verdict"] == "valid", report
    assert Image.open(io.BytesIO(ours.read_bytes())).size == (512, 512)
