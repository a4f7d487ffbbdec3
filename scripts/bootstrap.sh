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

# Byte-compile our own packages (cheap when up to date): with PYTHONDONTWRITEBYTECODE set,
# Python would otherwise recompile every module on every start.
compile_own() {
  .venv/bin/python -m compileall -q -j 0 core bot tools graphs knowledge >&2
}

fingerprint() { cat "requirements/$1.lock" pyproject.toml | sha256sum | cut -c1-16; }
stamp=".venv/.opsbot-${profile}.stamp"
want="$(fingerprint "$profile")"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  compile_own
  exit 0
fi
# A current dev environment has everything the base profile runs on: `./run.sh` in a test
# checkout must not re-pin it to the base lock under the tests (pandas differs between them).
if [ "$profile" = base ] && [ -f .venv/.opsbot-dev.stamp ] &&
   [ "$(cat .venv/.opsbot-dev.stamp)" = "$(fingerprint dev)" ]; then
  compile_own
  exit 0
fi

echo "bootstrap: installing $lock into .venv (first run or lock changed; this takes about a minute, uv shows its progress below)" >&2
if [ ! -x .venv/bin/uv ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "uv>=0.4" >&2
fi
.venv/bin/uv pip install --compile-bytecode --python .venv/bin/python -r "$lock" >&2
.venv/bin/uv pip install --quiet --python .venv/bin/python --no-deps -e . >&2
compile_own
rm -f .venv/.opsbot-*.stamp  # the venv now matches this lock only
echo "$want" > "$stamp"
