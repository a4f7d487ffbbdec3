"""Template rules: names, labels, placeholders, chat messages, size limits, config, render."""

from __future__ import annotations

import pytest

from tools.prompts.errors import PromptError
from tools.prompts.templates import (
    check_config,
    check_label,
    check_message,
    check_name,
    content_hash,
    parse_ref,
    render,
    validate,
)


@pytest.mark.parametrize("name", ["support-triage", "a", "v2.summary_x", "A1"])
def test_valid_names(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize("name", ["", "-x", "has space", "a/b", "x" * 101, "ü"])
def test_invalid_names_say_what_is_allowed(name: str) -> None:
    with pytest.raises(PromptError, match="letters, digits"):
        check_name(name)


def test_labels_are_lower_cased_and_reserved_names_refused() -> None:
    assert check_label("Production") == "production"
    assert check_label("prod-a_2") == "prod-a_2"
    with pytest.raises(PromptError, match="'latest' is reserved"):
        check_label("latest")
    with pytest.raises(PromptError, match="'latest' is reserved"):
        check_label("LATEST")
    for versionish in ("v3", "V12", "7"):
        with pytest.raises(PromptError, match="name versions"):
            check_label(versionish)
    with pytest.raises(PromptError, match="letters, digits"):
        check_label("has space")
    with pytest.raises(PromptError, match="at most 255"):
        check_label("a" * 256)
    with pytest.raises(PromptError, match="required"):
        check_label("  ")
    assert check_label("latest", allow_latest=True) == "latest"


def test_refs_are_versions_or_labels() -> None:
    assert parse_ref("v3") == 3
    assert parse_ref("3") == 3
    assert parse_ref(3) == 3
    assert parse_ref("Production") == "production"
    assert parse_ref("latest") == "latest"
    with pytest.raises(PromptError, match="start at 1"):
        parse_ref("v0")
    with pytest.raises(PromptError):
        parse_ref("")


def test_placeholders_are_detected_in_order_with_or_without_spaces() -> None:
    kind, _, names, config = validate("Hi {{ name }}, {{team}} and {{name}} again", None)
    assert kind == "text"
    assert names == ["name", "team"]
    assert config == {}


def test_single_braces_and_lone_closing_pairs_are_literal_text() -> None:
    _, _, names, _ = validate('Answer as JSON: {"a": {"b": 1}} for {{ ticket }}', None)
    assert names == ["ticket"]


@pytest.mark.parametrize(
    "template",
    ["Hi {{ }}", "Hi {{ 1abc }}", "Hi {{ a.b }}", "Hi {{ name }", "Hi {{name", "{{{x}}}"],
)
def test_malformed_placeholders_are_refused_with_their_position(template: str) -> None:
    with pytest.raises(PromptError, match=r"invalid placeholder in template at line 1, column \d+"):
        validate(template, None)


def test_error_position_counts_lines() -> None:
    with pytest.raises(PromptError, match="line 3, column 5"):
        validate("one\ntwo\nthe {{ bad-name }}", None)


def test_chat_messages_are_validated() -> None:
    kind, _, names, _ = validate(
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "{{ q }}"}], None
    )
    assert kind == "chat"
    assert names == ["q"]
    with pytest.raises(PromptError, match="role 'robot' is not one of system, user, assistant"):
        validate([{"role": "robot", "content": "x"}], None)
    with pytest.raises(PromptError, match="chat message 1: missing content"):
        validate([{"role": "user"}], None)
    with pytest.raises(PromptError, match="unknown keys name"):
        validate([{"role": "user", "content": "x", "name": "y"}], None)
    with pytest.raises(PromptError, match=r"chat message 2 \(user\): content must be non-empty"):
        validate([{"role": "system", "content": "x"}, {"role": "user", "content": " "}], None)
    with pytest.raises(PromptError, match=r"invalid placeholder in chat message 1 \(system\)"):
        validate([{"role": "system", "content": "{{ x"}], None)
    with pytest.raises(PromptError, match="non-empty list"):
        validate([], None)
    with pytest.raises(PromptError, match="text or a list of chat messages"):
        validate(42, None)


def test_empty_nul_and_oversized_templates_are_refused() -> None:
    with pytest.raises(PromptError, match="empty"):
        validate("   \n", None)
    with pytest.raises(PromptError, match="NUL"):
        validate("a\x00b", None)
    validate("x" * 1000, None, max_chars=1000)
    with pytest.raises(
        PromptError, match=r"1,001 characters; the limit is 1,000 \(PROMPT_MAX_CHARS\)"
    ):
        validate("x" * 1001, None, max_chars=1000)
    with pytest.raises(PromptError, match="the limit is 10"):
        validate([{"role": "user", "content": "123456"}, {"role": "user", "content": "78901"}],
                 None, max_chars=10)  # fmt: skip


def test_config_must_be_a_small_json_object() -> None:
    assert check_config({"temperature": 0.2, "stop": ["\n"], "tools": {"a": None}}) == {
        "temperature": 0.2, "stop": ["\n"], "tools": {"a": None},
    }  # fmt: skip
    with pytest.raises(PromptError, match="JSON object"):
        check_config(["a"])
    with pytest.raises(PromptError, match="temperature is nan"):
        check_config({"temperature": float("nan")})
    with pytest.raises(PromptError, match="keys must be strings"):
        check_config({"a": {1: 2}})
    with pytest.raises(PromptError, match="set"):
        check_config({"a": {1, 2}})
    with pytest.raises(PromptError, match="limit is 20,000"):
        check_config({"x": "y" * 20_001})


def test_commit_message_is_required_and_bounded() -> None:
    assert check_message("  fix typo ") == "fix typo"
    with pytest.raises(PromptError, match="commit message is required"):
        check_message(" ")
    with pytest.raises(PromptError, match="limit is 2,000"):
        check_message("x" * 2001)


def test_hash_depends_on_content_and_config_not_on_key_order() -> None:
    a = content_hash("text", "hi", {"a": 1, "b": 2})
    assert a == content_hash("text", "hi", {"b": 2, "a": 1})
    assert a != content_hash("text", "hi", {"a": 1, "b": 3})
    assert a != content_hash("text", "hi ", {"a": 1, "b": 2})
    assert len(a) == 64


def test_render_fills_every_placeholder_and_names_missing_and_unknown() -> None:
    assert (
        render("text", "Hi {{ name }}, {{n}}", ["name", "n"], {"name": "Ann", "n": 3})
        == "Hi Ann, 3"
    )
    # values are inserted literally, never re-scanned for placeholders
    assert render("text", "{{ a }}", ["a"], {"a": "{{ b }}"}) == "{{ b }}"
    chat = render("chat", [{"role": "user", "content": "Q: {{ q }}"}], ["q"], {"q": "why?"})
    assert chat == [{"role": "user", "content": "Q: why?"}]
    with pytest.raises(
        PromptError, match=r"missing team; unknown zzz \(this version takes: name, team\)"
    ):
        render("text", "{{name}} {{team}}", ["name", "team"], {"name": "x", "zzz": "y"})
    with pytest.raises(PromptError, match="must be text or a number"):
        render("text", "{{a}}", ["a"], {"a": ["list"]})
