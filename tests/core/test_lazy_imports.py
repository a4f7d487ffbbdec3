"""What each start-up path imports, checked in a fresh interpreter (item 18 of issue 11).

numpy, scipy and matplotlib are for drift runs, plots and runbook search; LangGraph is for
the agent; chromadb and onnxruntime for runbook search. A CLI command, `ask`'s tool
registration and the drift catalogue must not pay for what they do not use, so each case
below runs real code in a subprocess and reads its `sys.modules`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bot_process import REPO, clean_env

HEAVY = ("numpy", "scipy", "matplotlib", "langgraph", "chromadb", "onnxruntime", "pandas")

PROBE = """
import json, sys
{code}
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


def loaded(code: str, data_dir: Path, heavy: tuple[str, ...] = HEAVY) -> list[str]:
    """The `heavy` top-level packages in sys.modules after `code` ran in a fresh Python."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(code=code, heavy=heavy)],
        cwd=REPO,
        env=clean_env(OPSBOT_DATA_DIR=str(data_dir)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("code", "allowed"),
    [
        # `opsbot --help` and every command's parser
        ("import bot.cli; bot.cli.build_parser()", []),
        # what `opsbot ask` builds before its first answer: settings, storage, every tool
        (
            "from bot.settings import load_settings\n"
            "from bot.runtime import Runtime\n"
            "Runtime(load_settings()).toolbox",
            [],
        ),
        # ... and the agent itself, which needs LangGraph and nothing numeric
        (
            "from bot.settings import load_settings\n"
            "from bot.runtime import Runtime\n"
            "Runtime(load_settings()).agent",
            ["langgraph"],
        ),
        # the drift package's catalogue, options, sources and reports are plain Python
        (
            "from tools.registry.drift import DataSource, DriftOptions, default_test_name\n"
            "from tools.registry.drift.catalogue import CATALOGUE\n"
            "DriftOptions(method='ks').validate()\n"
            "DataSource.file('reference.csv')\n"
            "assert default_test_name('num', 5000, 100) == 'wasserstein'\n"
            "assert 'hellinger' in CATALOGUE",
            [],
        ),
        # the runbook tool and index are registered without loading search's libraries
        ("import tools.runbooks, tools.runbooks.tool, tools.runbooks.index", []),
    ],
    ids=["cli-parser", "ask-toolbox", "ask-agent", "drift-catalogue", "runbook-modules"],
)
def test_start_up_paths_import_only_what_they_use(
    code: str, allowed: list[str], tmp_path: Path
) -> None:
    assert loaded(code, tmp_path / "data") == allowed


def test_drift_run_still_loads_its_numeric_code_on_first_use(tmp_path: Path) -> None:
    """The lazy names resolve to the real implementations (and then numpy is loaded)."""
    got = loaded(
        "import tools.registry.drift as drift\n"
        "from tools.registry.drift.stattests import STAT_TESTS\n"
        "assert drift.STAT_TESTS is STAT_TESTS\n"
        "report = drift.run_drift({'x': [1.0, 2.0, 3.0] * 40}, {'x': [7.0, 8.0, 9.0] * 40})\n"
        "assert report.dataset_drift, report",
        tmp_path / "data",
    )
    assert "numpy" in got and "scipy" in got


@pytest.mark.parametrize("embedding", ["minilm-int8", "hashing"])
def test_runbook_search_loads_no_scipy_or_bm25s(embedding: str, tmp_path: Path) -> None:
    """BM25 is our own (tools/runbooks/lexical.py): bm25s, a dev dependency, would bring
    scipy.sparse into the server (about 25 MiB) with the first search."""
    got = loaded(
        "from pathlib import Path\n"
        "from knowledge import SHIPPED_RUNBOOKS\n"
        "from tools.runbooks.index import RunbookIndex\n"
        f"index = RunbookIndex(Path({str(tmp_path / 'index')!r}), embedding={embedding!r})\n"
        "index.ingest([SHIPPED_RUNBOOKS], progress=False)\n"
        "hits = index.search('disk full on /var', k=3)\n"
        "assert hits[0].source == 'runbooks/host-disk-full.md', hits",
        tmp_path / "data",
        heavy=("numpy", "chromadb", "scipy", "bm25s"),
    )
    assert got == ["chromadb", "numpy"]


def test_unknown_lazy_name_is_a_clear_attribute_error() -> None:
    import tools.registry.drift as drift

    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        _ = drift.no_such_name
