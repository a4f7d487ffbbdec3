#!/usr/bin/env bash
# Run opsbot. First use creates .venv and installs everything. With no arguments: `opsbot run`.
# Any arguments are passed to the CLI, e.g. ./run.sh chat, ./run.sh ask "how's the box doing?"
set -euo pipefail
cd "$(dirname "$0")"
scripts/bootstrap.sh base
[ "$#" -gt 0 ] || set -- run
exec .venv/bin/opsbot "$@"
