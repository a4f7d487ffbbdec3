"""The Loghub 2k samples the log tests read: `OPSBOT_LOGHUB_DIR`, by default the shared data
folder (`/work/shared/data/loghub`, Loghub's layout: `<System>/<System>_2k.log` and its
`_structured.csv` ground truth). Not shipped in the repository (Loghub's licence)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def loghub_dir() -> Path:
    folder = Path(os.environ.get("OPSBOT_LOGHUB_DIR", "/work/shared/data/loghub"))
    if not (folder / "HDFS" / "HDFS_2k.log").is_file():
        pytest.skip(f"the Loghub samples are not at {folder} (set OPSBOT_LOGHUB_DIR)")
    return folder
