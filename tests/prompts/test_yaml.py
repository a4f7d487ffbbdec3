"""YAML export/import: exact round trips (byte for byte), all-or-nothing imports, and clear
errors for bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.storage.db import make_engine, migrate
from tests.prompts.conftest import make_versions
from tools.prompts.errors import PromptConflict, PromptError
from tools.prompts.store import PromptStore
from tools.prompts.yamlio import export_yaml, import_paths, parse_docs

TRICKY = [
    "no trailing newline",
    "trailing newline\n",
    "two trailing newlines\n\n",
    "  leading spaces on the first line\nsecond\n",
    "trailing spaces   \nand tabs\t\nend",
    "quotes ' \" and colons: here # not a comment\n- not a list\n",
    "unicode: café — ✓ 日本語\n",
    "yes",
    "0.5",
    "2026-01-01T00:00:00Z",
    "\ttab first\n",
    "carriage\r\nreturns\r\n",
    "{{ var }}: looks like a mapping\n",
    "line with a lone }} and single { braces }\n",
]


def _fresh_store(tmp_path: Path, name: str) -> PromptStore:
    engine = make_engine(f"sqlite:///{tmp_path / name}")
    migrate(engine)
    return PromptStore(engine)


def test_export_import_export_is_byte_identical(store: PromptStore, tmp_path: Path) -> None:
    for i, text in enumerate(TRICKY):
        store.create_version("tricky", text, f"case {i}", author="U1", config={"i": i})
    store.create_version(
        "chatty",
        [{"role": "system", "content": "Be brief.\n"}, {"role": "user", "content": "{{ q }}"}],
        "chat", author="U2", config={"model": "m", "temperature": 0.25, "stop": ["\n\n"]},
        description="a chat prompt: with a colon", tags=["a", "b"],
    )  # fmt: skip
    store.create_version("chatty", [{"role": "user", "content": "{{ q }}?"}], "v2", author="U2")
    store.set_label("tricky", "production", 3, actor="U1")
    store.set_label("tricky", "staging", 5, actor="U1")
    store.set_label("chatty", "production", 2, actor="U1")
    store.delete_version("tricky", 7, actor="U1")
    first = export_yaml(store)

    other = _fresh_store(tmp_path, "other.sqlite3")
    report = other.import_docs(parse_docs(first, "f.yaml"), actor="U9", source="f.yaml")
    assert sorted(report.prompts_created) == ["chatty", "tricky"]
    assert export_yaml(other) == first
    # contents, hashes, labels and the deleted version survive
    for i, text in enumerate(TRICKY, start=1):
        if i == 7:
            continue
        assert other.get("tricky", version=i).template == text
        assert other.get("tricky", version=i).sha256 == store.get("tricky", version=i).sha256
    assert other.get("tricky").version == 3 and other.get("chatty").version == 2
    assert [v.version for v in other.versions("tricky", include_deleted=True) if v.deleted] == [7]
    assert other.history("tricky", "production")[0].kind == "import"
    # importing the same file again changes nothing
    again = other.import_docs(parse_docs(first), actor="U9", source="f.yaml")
    assert sorted(again.unchanged) == ["chatty", "tricky"] and again.versions_added == []


def test_import_appends_new_versions_and_reports_label_differences(
    store: PromptStore, tmp_path: Path
) -> None:
    make_versions(store, count=2)
    store.set_label("triage", "production", 1, actor="U1")
    exported = export_yaml(store)
    other = _fresh_store(tmp_path, "other.sqlite3")
    other.import_docs(parse_docs(exported), actor="U9", source="f")
    # the team adds v3 and moves production in their copy
    store.create_version("triage", "third {{ ticket }}", "v3", author="U3")
    store.set_label("triage", "production", 3, actor="U1")
    report = other.import_docs(parse_docs(export_yaml(store)), actor="U9", source="f")
    assert report.versions_added == ["triage v3"]
    assert report.notes == [
        "triage: label production is v1 here and v3 in the file; not moved "
        "(label moves need an approval: opsbot prompts label)"
    ]
    assert other.get("triage").version == 1
    assert other.get("triage", version=3).author == "U3"


def test_import_refuses_edited_versions_and_imports_nothing(
    store: PromptStore, tmp_path: Path
) -> None:
    make_versions(store, count=2)
    text = export_yaml(store)
    tampered = text.replace("Version 2: classify", "Version 2: CLASSIFY")
    with pytest.raises(PromptError, match="triage' v2: sha256 does not match its content"):
        store.import_docs(parse_docs(tampered), actor="U", source="f")
    # without the hash, an edited existing version is still refused as a conflict
    no_hash = "\n".join(line for line in tampered.splitlines() if "sha256" not in line)
    with pytest.raises(PromptConflict, match="differs from the registry's v2"):
        store.import_docs(parse_docs(no_hash), actor="U", source="f")
    # all or nothing: a good new prompt in the same import is not created either
    good = _fresh_store(tmp_path, "g.sqlite3")
    good.create_version("newbie", "hello", "m", author="U")
    combined = parse_docs(export_yaml(good)) + parse_docs(no_hash)
    with pytest.raises(PromptConflict):
        store.import_docs(combined, actor="U", source="f")
    assert store.names() == ("triage",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not: [valid", "is not valid YAML"),
        ("- a list\n", "expected 'format: opsbot-prompts/1'"),
        ("format: opsbot-prompts/1\nprompts: {}\n", "'prompts' must be a list"),
        ("format: opsbot-prompts/1\nprompts:\n- name: x\n", "missing 'versions'"),
        (
            "format: opsbot-prompts/1\nprompts:\n- name: x\n  colour: red\n  versions: []\n",
            "unknown keys colour",
        ),
        (
            "format: opsbot-prompts/1\nprompts:\n- name: x\n  created_at: 2026-01-01T00:00:00Z\n"
            "  versions:\n  - version: 1\n    type: poem\n",
            "type must be text or chat",
        ),
        (
            "format: opsbot-prompts/1\nprompts:\n- name: x\n  created_at: yesterday\n  versions: []\n",
            "created_at must be an ISO 8601 time",
        ),
    ],
)
def test_bad_files_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(PromptError, match=message):
        parse_docs(text, "bad.yaml")


def test_semantic_checks_on_import(store: PromptStore) -> None:
    base = (
        "format: opsbot-prompts/1\nprompts:\n- name: x\n  created_at: '2026-01-01T00:00:00Z'\n"
        "  labels: {LABELS}\n  versions:\n"
        "  - version: 1\n    type: text\n    template: 'hi {{ who }}'\n    message: m\n"
        "    author: U\n    created_at: '2026-01-01T00:00:00Z'\n"
    )
    with pytest.raises(PromptError, match="label production points to v2, which is not a version"):
        store.import_docs(
            parse_docs(base.replace("{LABELS}", "{production: 2}")), actor="U", source="f"
        )
    with pytest.raises(PromptError, match="'latest' is reserved"):
        store.import_docs(
            parse_docs(base.replace("{LABELS}", "{latest: 1}")), actor="U", source="f"
        )
    broken = base.replace("{LABELS}", "{}").replace("hi {{ who }}", "hi {{ who")
    with pytest.raises(PromptError, match="prompt 'x' v1: invalid placeholder"):
        store.import_docs(parse_docs(broken), actor="U", source="f")
    report = store.import_docs(
        parse_docs(base.replace("{LABELS}", "{production: 1}")), actor="U", source="f"
    )
    assert report.prompts_created == ["x"] and store.get("x").variables == ("who",)


def test_import_paths_reads_files_and_directories(store: PromptStore, tmp_path: Path) -> None:
    make_versions(store, "one", 1)
    make_versions(store, "two", 1)
    folder = tmp_path / "prompts"
    folder.mkdir()
    for name in store.names():
        (folder / f"{name}.yaml").write_text(export_yaml(store, [name]))
    other = _fresh_store(tmp_path, "o.sqlite3")
    report = import_paths(other, [folder], actor="U")
    assert sorted(report.prompts_created) == ["one", "two"]
    with pytest.raises(PromptError, match="does not exist"):
        import_paths(other, [tmp_path / "missing.yaml"], actor="U")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(PromptError, match=r"has no \.yaml or \.yml files"):
        import_paths(other, [empty], actor="U")
