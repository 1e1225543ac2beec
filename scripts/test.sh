#!/usr/bin/env bash
# Installs what the test suite needs and runs all of it: pytest (engine, quizzes, AppTest and
# browser tests), ruff and the import-linter contract. Used verbatim by the README and by .ci/run.
set -euo pipefail
# Small matrices run fastest on one BLAS thread; a busy machine makes threaded BLAS much slower.
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's chromium for the browser tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium not found and not root: browser tests will be skipped (they fail when CI=true)"
  fi
fi

python -m pip install -q -r requirements-dev.txt
python -m pytest "$@"
python -m ruff check .
python -m ruff format --check .
lint-imports
