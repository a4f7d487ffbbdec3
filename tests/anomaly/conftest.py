"""The NAB subset the anomaly tests read: `OPSBOT_NAB_DIR`, by default the shared data folder
(`/work/shared/data/nab`, NAB's layout: data/, labels/, config/, results/). Too large to ship
in the repository (27 MB with the published per-point results)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tools.anomaly.nab.corpus import LabelledFile, load_corpus

REPO = Path(__file__).resolve().parents[2]
# the shared data sits beside the checkout (../shared/data), wherever the checkout is
_CANDIDATES = [REPO.parent / "shared" / "data" / "nab", Path("/work/shared/data/nab")]
NAB_DIR = Path(
    os.environ.get("OPSBOT_NAB_DIR")
    or next((str(p) for p in _CANDIDATES if p.is_dir()), str(_CANDIDATES[0]))
)


@pytest.fixture(scope="session")
def nab_dir() -> Path:
    if not (NAB_DIR / "labels" / "combined_windows.json").exists():
        pytest.skip(f"the NAB subset is not at {NAB_DIR} (set OPSBOT_NAB_DIR)")
    return NAB_DIR


@pytest.fixture(scope="session")
def nab_files(nab_dir: Path) -> list[LabelledFile]:
    return load_corpus(nab_dir, nab_dir / "labels" / "combined_windows.json")
