"""Generate the fraud-detector demo data (run once; the CSVs are committed).

    .venv/bin/python tools/registry/demo_data/fraud-detector/generate.py

Both files are drawn from the SAME distributions with numpy's PCG64 generator and fixed
seeds (reference: 20251101, current: 20251201), so under Evidently's default rule the
current data shows no dataset drift. 800 rows each (so the small-sample tests apply:
K-S, chi-square, z). Synthetic: no real people or cards.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROWS = 800
CATEGORIES = ["grocery", "fuel", "restaurants", "online_retail", "travel", "electronics"]
CATEGORY_P = [0.32, 0.18, 0.2, 0.18, 0.05, 0.07]
COLUMNS = [
    "transaction_id", "amount", "hour", "merchant_category", "card_present",
    "distance_km", "tx_count_24h", "is_foreign", "is_fraud",
]  # fmt: skip


def rows(seed: int, first_id: int) -> list[list[object]]:
    rng = np.random.default_rng(seed)
    amount = np.round(rng.lognormal(3.6, 0.9, ROWS), 2)
    weights = np.array([1.0] * 6 + [3.0] * 16 + [2.0] * 2)
    hour = rng.choice(24, ROWS, p=weights / weights.sum())
    category = rng.choice(CATEGORIES, ROWS, p=CATEGORY_P)
    card_present = (rng.random(ROWS) < 0.62).astype(int)
    distance = np.round(rng.exponential(12.0, ROWS), 1)
    tx_count = rng.poisson(3.0, ROWS)
    foreign = (rng.random(ROWS) < 0.06).astype(int)
    fraud = (rng.random(ROWS) < 0.02).astype(int)
    return [
        [first_id + i, amount[i], hour[i], category[i], card_present[i], distance[i],
         tx_count[i], foreign[i], fraud[i]]
        for i in range(ROWS)
    ]  # fmt: skip


def write(path: Path, data: list[list[object]]) -> None:
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(data)


def main() -> None:
    write(HERE / "reference.csv", rows(20251101, 1))
    write(HERE / "current.csv", rows(20251201, ROWS + 1))


if __name__ == "__main__":
    main()
