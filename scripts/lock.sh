#!/usr/bin/env bash
# Regenerate the lock files from pyproject.toml (needs uv; run after changing dependencies).
set -euo pipefail
cd "$(dirname "$0")/.."
uv=${UV:-.venv/bin/uv}
"$uv" pip compile pyproject.toml --universal --python-version 3.11 --quiet -o requirements/base.lock
"$uv" pip compile pyproject.toml --universal --python-version 3.11 --quiet --extra dev --extra mlflow -o requirements/dev.lock
