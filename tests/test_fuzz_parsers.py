"""Every parser, fed mutated inputs, fails only with its documented errors (a bounded fuzz).

The deterministic, atheris-free counterpart of ``bench/fuzz`` (``make fuzz``): the same targets
(:data:`bench.fuzz.targets.TARGETS`: each real entry point and the errors it may raise) and the
same seeds (:mod:`bench.fuzz.seeds`, valid inputs built from the project's fixtures), mutated by
hypothesis with a fixed seed and a small budget, so what the long fuzz runs found stays fixed.

Mutations are of two kinds: bytes (flip, insert, delete, duplicate, splice in a hostile token)
and, for JSON inputs, structure (replace one member or element anywhere in the document with
another JSON value, including the values that broke parsers before: ``1e400``, a date past the
year 9999, a decimal with a huge exponent, nesting past every limit, a 150 kB string).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.fuzz.seeds import SEEDS
from bench.fuzz.targets import TARGETS, jws_token

#: Examples per target: the fast parsers get many, the full verifications a few (≈20 s in all).
BUDGET = {
    "json": 150,
    "jws": 150,
    "baked": 150,
    "input": 150,
    "verify": 20,
    "vcapi": 20,
    "trust": 150,
    "rule": 150,
    "csv": 100,
}
#: Splices that broke (or could break) a parser: numbers JSON reads as infinity or past every
#: date, huge decimal exponents, nesting past the recursion limit, surrogates, BOMs, NULs,
#: markup that declares entities, a field past csv's limit.
HOSTILE = [
    b"1e400",
    b"-1e400",
    b"1e18",
    b"253402300800",
    b'"1e999999999"',
    b'"1E+999999"',
    b"9" * 5000,
    b"[" * 50_000,
    b'{"a":' * 70,
    b'"\\ud800"',
    b"\x00",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\xc3",
    b'<!DOCTYPE svg [<!ENTITY e "x">]>',
    b"]]>",
    b"-0",
    b"\r\n",
    b'"' + b"x" * 150_000 + b'"',
]


#: Inputs that once escaped as an unclean error (minimised from what ``make fuzz`` saved, or
#: what review found while writing the harnesses): run as they are, and mutated like seeds.
REGRESSIONS: dict[str, list[bytes]] = {
    "jws": [
        b'{"alg":"EdDSA","kid":"#k"}\x00{"iss":"d","nbf":179E400,"vc":{}}\x00',
        b'{"alg":"EdDSA","kid":"#k"}\x00{"iss":"d","exp":-1e400,"vc":{}}\x00',
        b'{"alg":"EdDSA","kid":"#k"}\x00{"iss":"d","nbf":17907264111100,"vc":{}}\x00',
        b'{"alg":"EdDSA","kid":"#k"}\x00{"iss":"d","nbf":' + b"4" * 130 + b',"vc":{}}\x00',
    ],
    "csv": [
        b"achievement,recipient_name,r\r\recipient_email\nclassroom-environment,E0,e0@x\n",
        b"\xef\xbb\xbfrecipient_name,evidence_url\n\x00e_name,en0\r^,sub-1\n",
        b'recipient_name\n"' + b"x" * 140_000 + b'"\n',
    ],
    "trust": [b"[" * 100_000, b'{"registry": {"a": ' + b"[" * 5000 + b"]" * 5000 + b"}}"],
    "rule": [
        json.dumps(
            {
                "type": "StackRule",
                "id": "https://x.example/r",
                "achievement": "https://x.example/a",
                "version": 1,
                "name": "R",
                "requirements": [
                    {
                        "type": "component",
                        "id": "a",
                        "name": "A",
                        "achievement": ["https://x/c"],
                        "minResult": {"resultType": "Percent", "value": value},
                    }
                ],
            }
        ).encode()
        for value in ("1e999999999", "1E+999999", "1e-999999")
    ],  # fmt: skip
}


@cache
def _seeds(name: str) -> tuple[bytes, ...]:
    return tuple(SEEDS[name]()) + tuple(REGRESSIONS.get(name, ()))


# ------------------------------------------------------------------------------ strategies

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(["VerifiableCredential", "VerifiablePresentation", "StackRule", "did:key:z"])
)
_JSON = st.recursive(
    _SCALARS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
#: JSON texts that json.dumps cannot write: spliced in through a placeholder.
_RAW = [
    "1e400",
    "-1e400",
    "1e18",
    "253402300800",
    '"1e999999999"',
    "[" * 50_000 + "]" * 50_000,
    '"\\ud800"',
]


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every member / element position in a JSON document."""
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*path, index))
    return found


def _replace(document: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, *rest = path
    copy = dict(document) if isinstance(document, dict) else list(document)
    copy[head] = _replace(document[head], tuple(rest), new)
    return copy


def _delete(document: Any, path: tuple[Any, ...]) -> Any:
    """``document`` without the member or element at ``path`` (the root stays)."""
    if not path:
        return document
    if len(path) == 1:
        copy = dict(document) if isinstance(document, dict) else list(document)
        del copy[path[0]]
        return copy
    head, *rest = path
    return _replace(document, (head,), _delete(document[head], tuple(rest)))


def _leaf(value: Any) -> bool:
    return not isinstance(value, dict | list)


def _at(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


@st.composite
def _json_mutation(draw: st.DrawFn, text: bytes) -> bytes:
    """One to three edits of the JSON ``text``: a member or element replaced by another value
    (a number or numeric text, most often by an edge number) or deleted."""
    document = json.loads(text)
    raws: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(document)
        leaves = [p for p in paths if _leaf(_at(document, p))]
        path = draw(st.sampled_from(leaves if leaves and draw(st.booleans()) else paths))
        old = _at(document, path)
        if path and draw(st.integers(0, 4)) == 0:
            document = _delete(document, path)
            continue
        numeric = isinstance(old, int | float) and not isinstance(old, bool)
        numeric = numeric or (isinstance(old, str) and old[:1].isdigit())
        if draw(st.integers(0, 2)) == 0 or (numeric and draw(st.booleans())):
            raws.append(draw(st.sampled_from(_RAW)))
            document = _replace(document, path, f"\x00RAW{len(raws) - 1}\x00")
        else:
            document = _replace(document, path, draw(_JSON))
    out = json.dumps(document)
    for index, raw in enumerate(raws):
        out = out.replace(json.dumps(f"\x00RAW{index}\x00"), raw)
    return out.encode("utf-8")


@st.composite
def _byte_mutation(draw: st.DrawFn, data: bytes) -> bytes:
    """A few byte-level edits, libFuzzer style."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(out)))
        kind = draw(st.sampled_from(["flip", "insert", "delete", "duplicate", "hostile"]))
        if kind == "flip" and at < len(out):
            out[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "insert":
            out[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del out[at : at + draw(st.integers(1, 64))]
        elif kind == "duplicate":
            out[at:at] = out[at : at + draw(st.integers(1, 256))]
        else:
            out[at:at] = draw(st.sampled_from(HOSTILE))
    return bytes(out)


def _is_json(data: bytes) -> bool:
    try:
        json.loads(data)
    except (ValueError, RecursionError):
        return False
    return True


@st.composite
def fuzz_input(draw: st.DrawFn, name: str) -> bytes:
    """A seed of target ``name``, mutated in its bytes or (JSON seeds) in its structure. For the
    JWS target the JSON header or payload is mutated inside its NUL-separated form."""
    seed = draw(st.sampled_from(_seeds(name)))
    if name == "jws" and not seed.startswith(b"~") and draw(st.booleans()):
        header, payload, signature = seed.split(b"\x00", 2)
        if draw(st.booleans()):
            header = draw(_json_mutation(header))
        else:
            payload = draw(_json_mutation(payload))
        return b"\x00".join([header, payload, signature])
    if _is_json(seed) and draw(st.booleans()):
        return draw(_json_mutation(seed))
    return draw(_byte_mutation(seed))


# ------------------------------------------------------------------------------ the tests


@pytest.mark.parametrize("name", list(BUDGET))
def test_the_seeds_reach_the_parser(name: str) -> None:
    """At least one seed is accepted: the mutations start deep inside the parser."""
    assert any(TARGETS[name].run(seed) for seed in SEEDS[name]())


@pytest.mark.parametrize(
    ("name", "data"),
    [(name, data) for name, inputs in REGRESSIONS.items() for data in inputs],
    ids=lambda value: value if isinstance(value, str) else f"{len(value)}B",
)
def test_past_findings_are_read_or_refused_cleanly(name: str, data: bytes) -> None:
    TARGETS[name].run(data)  # an unclean error propagates and fails the test


@pytest.mark.parametrize(("name", "examples"), list(BUDGET.items()))
def test_only_documented_errors(name: str, examples: int) -> None:
    target = TARGETS[name]

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=fuzz_input(name))
    def feed(data: bytes) -> None:
        target.run(data)  # anything but the target's clean errors propagates and fails

    feed()


def test_the_jws_form_round_trips() -> None:
    """The JWS target's NUL-separated form stands for exactly the token it was made from."""
    token = next(s for s in _seeds("jws") if s.startswith(b"~"))[1:].decode()
    from bench.fuzz.seeds import jws_seed

    assert jws_token(jws_seed(token)) == token
