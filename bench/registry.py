"""Model registry benchmark: what the chat tools cost on the built-in registry (SQLite).

Prints, best of --repeat runs each:
1. `model_drift` on bike-demand (618 vs 719 rows, 11 features): a fresh run (load CSVs,
   11 tests, store the report, draw the PNG) vs reading the stored report (the usual case between
   scheduled checks), and the ratio.
2. `model_status` of bike-demand (3 versions, metric diffs, drift per version).
3. `list_models` with --models registered models (3 versions each).
4. Preview of a rollback (`set_model_alias` dry run: history, diff, drift status).

Run:  .venv/bin/python bench/registry.py [--repeat 5] [--models 200]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def best(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--models", type=int, default=200)
    args = parser.parse_args()

    from bot.storage.db import make_engine, migrate
    from core.access import Caller
    from tools.registry.demo import seed_registry
    from tools.registry.service import ModelRegistry
    from tools.registry.store import BuiltinBackend
    from tools.registry.tools import build_registry_tools

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        migrate(engine)
        registry = ModelRegistry(engine, BuiltinBackend(engine))
        seed_registry(registry)
        tools = {t.name: t for t in build_registry_tools(registry, Path(tmp))}
        caller = Caller("bench")

        def drift(refresh: bool) -> None:
            result = tools["model_drift"].invoke(
                {"name": "bike-demand", "refresh": refresh}, caller
            )
            assert result.ok, result.text

        fresh = best(lambda: drift(True), args.repeat)
        stored = best(lambda: drift(False), args.repeat)
        print(f"model_drift bike-demand, run + store + PNG:  {fresh * 1000:8.1f} ms")
        print(f"model_drift bike-demand, stored report:      {stored * 1000:8.1f} ms")
        print(f"  ratio fresh / stored: {fresh / stored:.1f}x")
        status = best(
            lambda: tools["model_status"].invoke({"name": "bike-demand"}, caller), args.repeat
        )
        print(f"model_status bike-demand:                    {status * 1000:8.1f} ms")
        preview = tools["set_model_alias"].preview
        assert preview is not None
        args_model = tools["set_model_alias"].parse({"name": "bike-demand"})
        plan = best(lambda: preview(args_model), args.repeat)
        print(f"set_model_alias rollback preview:            {plan * 1000:8.1f} ms")
        for i in range(args.models):
            for number in (1, 2, 3):
                registry.register_version(
                    f"model-{i:04d}", f"s3://m/{i}/{number}", metrics={"rmse": float(number)}
                )
            registry.set_alias(f"model-{i:04d}", "production", 3, actor="bench")
        listing = best(lambda: tools["list_models"].invoke({}, caller), args.repeat)
        print(f"list_models with {args.models + 2} models:              {listing * 1000:8.1f} ms")
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
