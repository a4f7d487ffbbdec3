"""The registry part of `opsbot demo`: two models whose drift questions have known answers.

- `bike-demand`: 3 versions with metrics; `production` went v1 → v2 → v3 (so "roll back"
  has somewhere to go: v2) and `staging` → v2. Reference/current data are the UCI Bike
  Sharing splits in `demo_data/bike-sharing/`; on the 11 features below Evidently (and
  opsbot) find dataset drift: 6 of 11 (temp, atemp, hum, windspeed, mnth, weathersit).
- `fraud-detector`: 2 versions, `production` → v2, synthetic data drawn twice from the same
  distributions (`demo_data/fraud-detector/`), so no drift.

Idempotent: what exists is left alone (an alias someone moved during the demo stays
where it is); only missing pieces are added.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tools.registry.service import ModelRegistry

DEMO_DIR = Path(__file__).resolve().parent / "demo_data"
BIKE_REFERENCE = DEMO_DIR / "bike-sharing" / "reference_2011-01-01_2011-01-28.csv"
BIKE_CURRENT = DEMO_DIR / "bike-sharing" / "current_2011-01-29_2011-02-28.csv"
FRAUD_REFERENCE = DEMO_DIR / "fraud-detector" / "reference.csv"
FRAUD_CURRENT = DEMO_DIR / "fraud-detector" / "current.csv"
BIKE_FEATURES = [
    "season", "mnth", "hr", "holiday", "weekday", "workingday", "weathersit",
    "temp", "atemp", "hum", "windspeed",
]  # fmt: skip
FRAUD_FEATURES = [
    "amount", "hour", "merchant_category", "card_present", "distance_km", "tx_count_24h",
    "is_foreign",
]  # fmt: skip
ACTOR = "demo"

MODELS: list[dict[str, Any]] = [
    {
        "name": "bike-demand",
        "description": "Hourly bike rental demand (Capital Bikeshare), regression on weather "
        "and calendar features.",
        "tags": {"team": "mobility", "task": "regression"},
        "reference": BIKE_REFERENCE,
        "current": BIKE_CURRENT,
        "options": {"columns": BIKE_FEATURES, "numerical": BIKE_FEATURES},
        "versions": [
            {
                "params": {"algorithm": "ridge", "alpha": "1.0"},
                "metrics": {"rmse": 61.2, "mae": 44.8, "r2": 0.71},
                "description": "baseline ridge regression",
            },
            {
                "params": {
                    "algorithm": "gradient_boosting",
                    "n_estimators": "200",
                    "max_depth": "6",
                },
                "metrics": {"rmse": 45.3, "mae": 31.2, "r2": 0.84},
                "description": "gradient boosting",
            },
            {
                "params": {
                    "algorithm": "gradient_boosting",
                    "n_estimators": "400",
                    "max_depth": "8",
                },
                "metrics": {"rmse": 41.9, "mae": 28.7, "r2": 0.86},
                "description": "gradient boosting, deeper trees, retrained on January",
            },
        ],
        "aliases": [("production", [1, 2, 3]), ("staging", [2])],
    },
    {
        "name": "fraud-detector",
        "description": "Card transaction fraud scores (synthetic demo data).",
        "tags": {"team": "payments", "task": "classification"},
        "reference": FRAUD_REFERENCE,
        "current": FRAUD_CURRENT,
        "options": {"columns": FRAUD_FEATURES},
        "versions": [
            {
                "params": {"algorithm": "xgboost", "max_depth": "5"},
                "metrics": {"auc": 0.912, "precision": 0.71, "recall": 0.64},
                "description": "first production model",
            },
            {
                "params": {"algorithm": "xgboost", "max_depth": "7"},
                "metrics": {"auc": 0.934, "precision": 0.74, "recall": 0.69},
                "description": "more features, deeper trees",
            },
        ],
        "aliases": [("production", [1, 2])],
    },
]


def seed_registry(registry: ModelRegistry) -> list[str]:
    lines: list[str] = []
    for spec in MODELS:
        name = spec["name"]
        _, created = registry.register_model(name, spec["description"], spec["tags"])
        existing = {v.version for v in registry.versions(name)}
        added = []
        for number, version in enumerate(spec["versions"], start=1):
            if number in existing:
                continue
            info = registry.register_version(
                name,
                f"s3://opsbot-demo/models/{name}/{number}",
                params=version["params"],
                metrics=version["metrics"],
                description=version["description"],
                creator=ACTOR,
                tags={"demo": "true"},
            )
            added.append(info.version)
        for number in range(1, len(spec["versions"]) + 1):
            wanted = registry.drift_store.make_spec(
                name, number, spec["reference"], spec["current"], spec["options"], ACTOR
            )
            have = registry.drift_spec(name, number)
            if have is None or have.to_dict() | {"updated_at": None, "updated_by": ""} != (
                wanted.to_dict() | {"updated_at": None, "updated_by": ""}
            ):
                registry.set_drift_data(
                    name, number, spec["reference"], spec["current"], spec["options"], actor=ACTOR
                )
        for alias, path in spec["aliases"]:
            if registry.get_model(name).aliases.get(alias) is not None:
                continue  # already set (maybe moved during the demo): leave it
            for number in path:
                registry.set_alias(name, alias, number, actor=ACTOR, reason="demo history")
        model = registry.get_model(name)
        state = ", ".join(f"{a} → v{v}" for a, v in model.aliases.items())
        what = "created" if created else "present"
        extra = f"; added v{', v'.join(map(str, added))}" if added else ""
        lines.append(f"model {name}: {what}, {model.n_versions} versions{extra}; {state}")
        alias, live = registry.live_version(name)
        if live is not None:
            outcome = registry.drift(name, live, actor=ACTOR, trigger="demo")
            lines.append(f"  drift of {name} v{live} ({alias}): {outcome.stored.headline()}")
    return lines


def seed_demo(registry: ModelRegistry) -> list[str]:
    """`opsbot demo` seeder (see bot/commands/demo.py)."""
    return seed_registry(registry)
