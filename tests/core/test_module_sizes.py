"""Units a reader can hold (issue 12): no module of the application or the benches is over
MAX_LINES lines unless its module docstring has a line starting `Size:` that says why."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FOLDERS = ("core", "bot", "graphs", "tools", "knowledge", "bench")
MAX_LINES = 400


def _line_count(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def _justified(path: Path) -> bool:
    """Whether the module docstring has a line starting `Size:`."""
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return any(line.strip().startswith("Size:") for line in docstring.splitlines())


def oversized(root: Path) -> dict[str, int]:
    """Every .py file under the FOLDERS of `root` over MAX_LINES lines without a `Size:`
    line in its docstring, as its path relative to `root` and its line count."""
    found: dict[str, int] = {}
    for folder in FOLDERS:
        for path in sorted((root / folder).rglob("*.py")):
            lines = _line_count(path)
            if lines > MAX_LINES and not _justified(path):
                found[path.relative_to(root).as_posix()] = lines
    return found


def test_no_module_is_over_the_limit_without_saying_why() -> None:
    over = oversized(REPO)
    assert not over, (
        f"modules over {MAX_LINES} lines with no `Size:` line in their docstring: "
        + ", ".join(f"{name} ({n} lines)" for name, n in sorted(over.items()))
        + "; split them along their jobs, or say in the docstring why they are better whole"
    )


def test_the_check_sees_a_long_module_and_its_justification(tmp_path: Path) -> None:
    tools = tmp_path / "tools"
    tools.mkdir()
    body = "".join(f"x{i} = {i}\n" for i in range(MAX_LINES))
    (tools / "long.py").write_text('"""A long module."""\n' + body)
    (tools / "fits.py").write_text(body)
    (tools / "why.py").write_text('"""A long module.\n\nSize: one table, read whole."""\n' + body)
    assert oversized(tmp_path) == {"tools/long.py": MAX_LINES + 1}
