#!/usr/bin/env bash
# The whole test suite: installs the dev environment on first use, lints, checks the import
# contracts (pyproject.toml [tool.importlinter]) and the types (mypy), then runs pytest.
# Extra arguments go to pytest, e.g. ./test.sh -k approvals -x
set -euo pipefail
cd "$(dirname "$0")"
scripts/bootstrap.sh dev
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports --no-cache
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"
