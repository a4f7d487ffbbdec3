"""The case loader: malformed case files fail with an error naming the file and the case."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.evals.cases import EvalCaseError, load_cases, load_file
from bot.evals.report import load_floors


def _write(tmp_path: Path, text: str, name: str = "plain.yml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id: x\n", "plain.yml: expected a list of cases"),
        ("- [1, 2]\n", "plain.yml: case #1: expected a mapping"),
        (
            "- {category: plain, difficulty: easy, turns: [hi]}\n",
            "plain.yml: case #1: missing `id`",
        ),
        ("- {id: a, difficulty: easy, turns: [hi]}\n", "case 'a': missing `category`"),
        (
            "- {id: a, category: plain, difficulty: trivial, turns: [hi]}\n",
            "case 'a': `difficulty`",
        ),
        ("- {id: a, category: plain, difficulty: easy, turns: []}\n", "case 'a': `turns` must be"),
        (
            "- {id: a, category: plain, difficulty: easy, turns: [hi], tags: [x]}\n",
            "unknown keys ['tags']",
        ),
        (
            "- {id: a, category: plain, difficulty: easy, turns: [{tools: [x]}]}\n",
            "turn 1: give exactly one of `say` or `decide`",
        ),
        (
            "- {id: a, category: plain, difficulty: easy, turns: [{say: hi, tool: x}]}\n",
            "turn 1: unknown keys ['tool']",
        ),
        (
            "- {id: a, category: plain, difficulty: easy, turns: [{say: hi, approval: yes}]}\n",
            "`approval` must be none or {pending: TOOL}",
        ),
        (
            "- {id: a, category: plain, difficulty: easy, turns: [{say: hi, args: {x: 1}}]}\n",
            "`args` must map tool names",
        ),
        (
            "- {id: a, category: plain, difficulty: easy, turns: [{decide: maybe}]}\n",
            "`decide` must be approve or reject",
        ),
        (
            "- {id: a, category: plain, difficulty: easy, turns: [{say: hi, contains: [1]}]}\n",
            "`contains` must be a string or a list",
        ),
        (
            "- {id: a, category: plain, difficulty: easy, turns: [hi], setup: {shell: x}}\n",
            "unknown setup keys ['shell']",
        ),
        (
            "- {id: a, category: plain, difficulty: easy, turns: [hi], setup: {prompts: [{name: p}]}}\n",
            "needs `name` and `template`",
        ),
        ("- {id: a\n", "plain.yml: not valid YAML"),
    ],
)
def test_malformed_case_names_file_and_case(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(EvalCaseError) as raised:
        load_file(_write(tmp_path, text))
    assert expected in str(raised.value)


def test_a_good_case_loads(tmp_path: Path) -> None:
    text = (
        "- id: a\n  category: plain\n  difficulty: easy\n  turns:\n"
        "    - {say: 'restart x', tools: run_remediation, approval: {pending: run_remediation},"
        " args: {run_remediation: {action: restart_service}}, contains: restart}\n"
        "    - {decide: reject}\n"
    )
    (case,) = load_file(_write(tmp_path, text))
    first, second = case.turns
    assert first.tools == ("run_remediation",) and first.approval == "run_remediation"
    assert first.contains == ("restart",) and second.decide == "reject"
    assert not case.decides and case.setup.empty


def test_duplicate_ids_across_files_and_empty_folders(tmp_path: Path) -> None:
    with pytest.raises(EvalCaseError, match="no cases"):
        load_cases(tmp_path)
    case = "- {id: same, category: plain, difficulty: easy, turns: [hi]}\n"
    _write(tmp_path, case, "a.yml")
    _write(tmp_path, case, "b.yml")
    _write(tmp_path, "overall: 0.5\n", "floors.yml")  # not a case file
    with pytest.raises(EvalCaseError, match=r"b\.yml: case 'same' is also defined in a\.yml"):
        load_cases(tmp_path)
    with pytest.raises(EvalCaseError, match="no evaluation folder"):
        load_cases(tmp_path / "missing")


def test_floors_file_errors(tmp_path: Path) -> None:
    assert load_floors(_write(tmp_path, "plain: 0.5\noverall: 1\n", "f.yml")) == {
        "plain": 0.5,
        "overall": 1.0,
    }
    with pytest.raises(EvalCaseError, match="minimum pass rate"):
        load_floors(_write(tmp_path, "plain: 50\n", "f.yml"))
    with pytest.raises(EvalCaseError, match="cannot read floors file"):
        load_floors(tmp_path / "nope.yml")
