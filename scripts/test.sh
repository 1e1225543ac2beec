#!/usr/bin/env bash
# Installs what the test suite needs and runs all of it: pytest (engine, quizzes, AppTest,
# browser tests, and the attempt ledger on SQLite and PostgreSQL), ruff and the import-linter
# contract. Used verbatim by the README and by .ci/run.
set -euo pipefail
# Small matrices run fastest on one BLAS thread; a busy machine makes threaded BLAS much slower.
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
cd "$(dirname "$0")/.."

apt_updated=0
apt_install() {  # apt_install PACKAGE: Debian's package, when root
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's $1 for the tests"
    if [ "$apt_updated" = "0" ]; then apt-get update -qq; apt_updated=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
  else
    echo "$1 not found and not root: its tests will be skipped (they fail when CI=true)"
  fi
}

if ! command -v chromium >/dev/null 2>&1; then
  apt_install chromium
fi
# The attempt ledger's PostgreSQL tests start a throwaway server with initdb and pg_ctl
# (tests/conftest.py); Debian keeps them in /usr/lib/postgresql/<version>/bin.
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  apt_install postgresql
fi

python -m pip install -q -r requirements-dev.txt
python -m pytest "$@"
python -m ruff check .
python -m ruff format --check .
lint-imports
