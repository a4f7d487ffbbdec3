#!/usr/bin/env bash
# Create .venv and install opsbot from the lock file on first use (and again when the lock
# changes). Usage: scripts/bootstrap.sh base|dev   Prints nothing when already up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-base}"
lock="requirements/${profile}.lock"
[ -f "$lock" ] || { echo "bootstrap: no lock file $lock" >&2; exit 2; }

pick_python() {
  for candidate in "${PYTHON:-}" python3.11 python3.12 python3.13 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "bootstrap: opsbot needs Python 3.11 or newer on PATH" >&2
  return 1
}

if [ ! -x .venv/bin/python ]; then
  py="$(pick_python)"
  echo "bootstrap: creating .venv with $($py --version)" >&2
  "$py" -m venv .venv
fi

stamp=".venv/.opsbot-${profile}.stamp"
want="$(cat "$lock" pyproject.toml | sha256sum | cut -c1-16)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi

echo "bootstrap: installing $lock into .venv (first run or lock changed)" >&2
if [ ! -x .venv/bin/uv ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "uv>=0.4" >&2
fi
.venv/bin/uv pip install --quiet --python .venv/bin/python -r "$lock" >&2
.venv/bin/uv pip install --quiet --python .venv/bin/python --no-deps -e . >&2
echo "$want" > "$stamp"
