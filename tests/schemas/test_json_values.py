"""The one-or-many readers and the strict JSON parser every package shares."""

from __future__ import annotations

import json

import pytest

from schemas.json_values import JsonTooDeep, as_list, objects, parse_json, strings, type_names


def test_as_list_reads_absent_single_and_array_members() -> None:
    array = [1, 2]
    assert as_list(None) == []
    assert as_list("A") == ["A"]
    assert as_list({"id": "x"}) == [{"id": "x"}]
    assert as_list(array) == [1, 2] and as_list(array) is not array


def test_strings_keeps_only_the_strings_in_order() -> None:
    assert strings(None) == []
    assert strings("A") == ["A"]
    assert strings(["A", 1, None, {"x": 1}, "B"]) == ["A", "B"]
    assert strings(7) == []
    assert strings(("A", "B")) == []  # a tuple is not a JSON array: one non-string value


def test_type_names_reads_the_type_member_of_an_object() -> None:
    assert type_names({"type": "VerifiableCredential"}) == ["VerifiableCredential"]
    assert type_names({"type": ["VerifiableCredential", 3, "OpenBadgeCredential"]}) == [
        "VerifiableCredential",
        "OpenBadgeCredential",
    ]
    assert type_names({"type": {"id": "x"}}) == []
    assert type_names({}) == []
    assert type_names(["VerifiableCredential"]) == []
    assert type_names("VerifiableCredential") == []
    assert type_names(None) == []


def test_objects_keeps_only_the_objects_in_order() -> None:
    first, second = {"id": "a"}, {"id": "b"}
    assert objects(None) == []
    assert objects(first) == [first]
    assert objects([first, "did:example:x", None, second]) == [first, second]
    assert objects("did:example:x") == []


def test_parse_json_reads_text_and_bytes() -> None:
    assert parse_json('{"a": [1, 2.5, null]}') == {"a": [1, 2.5, None]}
    assert parse_json(b'{"a": true}') == {"a": True}


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_parse_json_refuses_pythons_extensions(constant: str) -> None:
    with pytest.raises(ValueError, match=f"{constant} is not JSON"):
        parse_json(f'{{"a": {constant}}}')


def test_parse_json_raises_value_error_for_malformed_input() -> None:
    with pytest.raises(ValueError):
        parse_json(b"{")


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,
        "[" * 100_000,  # unbalanced: still refused for its depth, before the decoder recurses
        '{"a":' * 100_000,
        "[" * 65 + "]" * 65,
    ],
    ids=["arrays", "unclosed", "objects", "65"],
)
def test_parse_json_refuses_nesting_beyond_the_limit(text: str) -> None:
    with pytest.raises(JsonTooDeep, match="nested more than 64 levels deep"):
        parse_json(text)
    with pytest.raises(JsonTooDeep):
        parse_json(text.encode("utf-16"))  # bytes are decoded as json.loads decodes them
    assert issubclass(JsonTooDeep, json.JSONDecodeError)  # callers' "not JSON" handling


def test_parse_json_depth_counts_brackets_not_string_content() -> None:
    assert parse_json("[" * 64 + "]" * 64) == parse_json("[" * 64 + "]" * 64)
    deep_text = json.dumps({"a": "[" * 500 + '\\"{' * 100, "b": [[["]"]]]})
    assert parse_json(deep_text)["b"] == [[["]"]]]
    assert parse_json("[[1]]", max_depth=2) == [[1]]
    with pytest.raises(JsonTooDeep):
        parse_json("[[[1]]]", max_depth=2)
