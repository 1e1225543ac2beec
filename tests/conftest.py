"""Settings and fixtures shared by the whole test suite.

Databases: every test session points ``LAB_DATA_DIR`` (the folder of the app's default SQLite
ledger) at a temporary folder, so no test writes to ``lab-data/``. ``postgres_server`` starts a
throwaway PostgreSQL server (Debian's ``postgresql`` binaries: initdb into a temporary folder,
``pg_ctl start`` on a free port of 127.0.0.1, as the ``postgres`` user when the tests run as
root) and stops it at the end; ``postgres_url`` gives each test a fresh database on it, and
``ledger_url`` runs a test once on an SQLite file and once on PostgreSQL. Without the server
binaries the PostgreSQL tests are skipped, and fail when ``CI=true``.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests run engine code whose time depends on the machine's load: no per-example
# deadline. On CI the examples are derived from each test's name (derandomize), so a run is
# reproducible; locally hypothesis explores new examples every run.
settings.register_profile("lab", deadline=None)
settings.register_profile("ci", parent=settings.get_profile("lab"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "lab")


# --------------------------------------------------------------------------- databases

DATA_DIR_ENV = "LAB_DATA_DIR"
_created_data_dir: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    """Keep the app's default SQLite ledger of every test (and browser test server) out of the
    repository: LAB_DATA_DIR points at a temporary folder unless it is already set."""
    if not os.environ.get(DATA_DIR_ENV):
        folder = tempfile.mkdtemp(prefix="lab-data-tests-")
        os.environ[DATA_DIR_ENV] = folder
        _created_data_dir.append(folder)


def pytest_unconfigure(config: pytest.Config) -> None:
    for folder in _created_data_dir:
        shutil.rmtree(folder, ignore_errors=True)
        if os.environ.get(DATA_DIR_ENV) == folder:
            del os.environ[DATA_DIR_ENV]


def postgres_binary(name: str) -> str | None:
    """``initdb`` or ``pg_ctl``: on the PATH, else the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = glob.glob(f"/usr/lib/postgresql/*/bin/{name}")
    candidates.sort(
        key=lambda path: int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit() else 0
    )
    return candidates[-1] if candidates else None


def _missing(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: the PostgreSQL tests must run)")
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server of the test session; yields the URL of its ``postgres`` database."""
    initdb, pg_ctl = postgres_binary("initdb"), postgres_binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        _missing(
            "PostgreSQL's initdb and pg_ctl were not found: install Debian's postgresql "
            "(scripts/test.sh does so when run as root)"
        )
    try:
        import psycopg  # noqa: F401 - the driver the ledger's URL names
    except ImportError:
        _missing("the psycopg driver is not installed: pip install -r requirements.txt")
    root = os.geteuid() == 0
    # As root the server runs as postgres, which must reach the folder: /tmp, not a TMPDIR
    # that may sit inside root's home.
    folder = tempfile.mkdtemp(prefix="lab-postgres-", dir="/tmp" if root else None)
    as_user: list[str] = []
    if root:  # PostgreSQL refuses to run as root: run it as postgres
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(folder, ignore_errors=True)
            _missing("running as root and there is no postgres user to run the server")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        as_user = [shutil.which("runuser") or "/usr/sbin/runuser", "-u", "postgres", "--"]
    data, log = os.path.join(folder, "data"), os.path.join(folder, "server.log")
    port = _free_port()
    options = (
        f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={folder} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )

    def run(*command: str) -> None:
        result = subprocess.run([*as_user, *command], capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            tail = (Path(log).read_text(errors="replace") if os.path.exists(log) else "")[-2000:]
            raise RuntimeError(
                f"{' '.join(command[:2])} failed ({result.returncode}):\n{result.stdout}"
                f"{result.stderr}{tail}"
            )

    try:
        run(
            initdb,
            "-D",
            data,
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        run(pg_ctl, "-D", data, "-l", log, "-o", options, "-w", "-t", "60", "start")
    except (RuntimeError, subprocess.TimeoutExpired, OSError):
        shutil.rmtree(folder, ignore_errors=True)
        raise
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_user, pg_ctl, "-D", data, "-m", "immediate", "-w", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database on the session's PostgreSQL server (dropped afterwards)."""
    from sqlalchemy import create_engine, text

    name = f"test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield f"{postgres_server.rsplit('/', 1)[0]}/{name}"
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL for the attempt ledger: an SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    return request.getfixturevalue("postgres_url")
