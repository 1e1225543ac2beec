"""The student's identity in the sidebar, and the deployment's classroom settings.

Identity (``quizzes.identity``): when ``.streamlit/secrets.toml`` has an ``[auth]`` section
(Streamlit's OpenID Connect sign-in), the student is the signed-in account (``st.user``), shown
and not editable, with "Sign in"/"Sign out" buttons (``st.login``/``st.logout``). Otherwise the
student types a name and a student ID (session state ``"student"`` and ``"student_id"``), and
the sidebar says that this identity is self-declared.

Secrets read here (all optional): ``variant_key`` (seeds of the quiz variants), ``receipt_key``
(signs receipts), ``reveal_answers`` (closed graded questions show their answers), ``[auth]``
(sign-in) and ``[connections.sql]`` (the attempt ledger's database, Streamlit's SQLConnection).
Without a database URL the ledger is an SQLite file in ``$LAB_DATA_DIR`` (default
``lab-data/``), created on first use.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping

import streamlit as st

from pages.ui.text import plain
from quizzes.identity import (
    MAX_ID_LENGTH,
    MAX_NAME_LENGTH,
    Identity,
    self_declared_identity,
    signed_in_identity,
)
from quizzes.ledger import DEFAULT_DATA_DIR, Ledger, LedgerError, default_url, prepare_url

#: Session-state keys of the self-declared name and student ID boxes.
STUDENT_KEY = "student"
STUDENT_ID_KEY = "student_id"
#: Names of the secrets in ``.streamlit/secrets.toml`` (or the Community Cloud secrets box).
VARIANT_SECRET = "variant_key"
RECEIPT_SECRET = "receipt_key"
REVEAL_SECRET = "reveal_answers"
AUTH_SECTION = "auth"
#: Environment variable naming the folder of the default SQLite ledger.
DATA_DIR_ENV = "LAB_DATA_DIR"
SELF_DECLARED_NOTE = (
    "Self-declared identity: this server has no sign-in, so anyone can type any name and "
    "student ID. Your student ID identifies you: it decides your numbers and keeps your attempts."
)

#: How long ``secret`` takes a secrets store that had no readable file as empty.
SECRETS_RECHECK_SECONDS = 5.0

_schema_lock = threading.Lock()
_schema_ready: set[str] = set()
#: The ``st.secrets`` object last found without a readable file, and until when (``_clock``)
#: ``secret`` takes it as empty.
_no_secrets: tuple[object, float] | None = None
_clock = time.monotonic


# --------------------------------------------------------------------------- secrets


def secret(name: str) -> object | None:
    """The top-level secret ``name``, or None (no secrets file, no such key).

    Without a secrets file every ``st.secrets`` lookup tries to open the files again. So once
    ``st.secrets`` has had no (readable) file, it is taken as empty for
    ``SECRETS_RECHECK_SECONDS``: the files are tried at most once in that time (not several times
    per run), and a file added to a running server is still found. A file that exists is read by
    Streamlit once and reloaded when it changes, so those lookups are not cached here."""
    global _no_secrets
    store = st.secrets
    missing = _no_secrets
    if missing is not None and missing[0] is store and _clock() < missing[1]:
        return None
    try:
        return store.get(name)
    except FileNotFoundError:  # also Streamlit's "no secrets found" and unreadable files
        _no_secrets = (store, _clock() + SECRETS_RECHECK_SECONDS)
        return None
    except (KeyError, AttributeError, TypeError, ValueError):
        return None


def secret_text(name: str) -> str | None:
    """A secret that must be a non-empty string, or None."""
    value = secret(name)
    return value if isinstance(value, str) and value.strip() else None


def secret_flag(name: str) -> bool:
    """A secret that is True only when set to ``true`` (TOML boolean)."""
    return secret(name) is True


def sign_in_configured() -> bool:
    """True when the deployment configured sign-in (an ``[auth]`` section in its secrets)."""
    section = secret(AUTH_SECTION)
    return isinstance(section, Mapping) and bool(section)


# --------------------------------------------------------------------------- identity


def current_identity() -> Identity | None:
    """The student: the signed-in account, or the typed name and ID (None: not complete)."""
    identity, _ = _identity_and_problem()
    return identity


def _identity_and_problem() -> tuple[Identity | None, str | None]:
    if sign_in_configured():
        if not st.user.get("is_logged_in"):
            return None, None
        try:
            return signed_in_identity(st.user.to_dict()), None
        except ValueError as error:
            return None, str(error)
    name = str(st.session_state.get(STUDENT_KEY, "") or "")
    student_id = str(st.session_state.get(STUDENT_ID_KEY, "") or "")
    if not name.strip() or not student_id.strip():
        return None, None
    try:
        return self_declared_identity(name, student_id), None
    except ValueError as error:
        return None, str(error)


def student_sidebar() -> Identity | None:
    """The sidebar's identity box; returns the student (None until complete)."""
    with st.sidebar:
        if sign_in_configured():
            return _signed_in_box()
        st.text_input(
            "Your name",
            key=STUDENT_KEY,
            max_chars=MAX_NAME_LENGTH,
            placeholder="e.g. Ada Lovelace",
            help="Printed on your receipts and in the gradebook.",
        )
        st.text_input(
            "Student ID",
            key=STUDENT_ID_KEY,
            max_chars=MAX_ID_LENGTH,
            placeholder="e.g. s1234567 or your university login",
            help="Letters A-Z, digits and . _ - @ +. It identifies you: it decides your "
            "numbers, keeps your attempts and fills the gradebook's SIS Login ID.",
        )
        identity, problem = _identity_and_problem()
        if problem:
            st.error(plain(problem[:1].upper() + problem[1:]), icon=":material/badge:")
        st.caption(SELF_DECLARED_NOTE)
        return identity


def _signed_in_box() -> Identity | None:
    identity, problem = _identity_and_problem()
    if identity is None:
        if problem:
            st.error(plain(problem), icon=":material/badge:")
        st.caption("Sign in with your university account to take graded quizzes.")
        st.button("Sign in", icon=":material/login:", on_click=st.login, key="sign_in")
        return None
    st.caption("Signed in as")
    st.text(identity.name)
    if identity.name != identity.student_id:
        st.text(identity.student_id)
    st.button("Sign out", icon=":material/logout:", on_click=st.logout, key="sign_out")
    return identity


# --------------------------------------------------------------------------- ledger


def ledger_url() -> str | None:
    """The ledger's database URL from ``[connections.sql] url`` in the secrets; the default
    SQLite file when there is no ``[connections.sql]``; None when that section configures the
    database without a URL (Streamlit's SQLConnection then reads its other fields)."""
    connections = secret("connections")
    section = connections.get("sql") if isinstance(connections, Mapping) else None
    if isinstance(section, Mapping) and section:
        url = section.get("url")
        return url if isinstance(url, str) and url.strip() else None
    return default_url(os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR)


def classroom_ledger() -> Ledger:
    """The attempt ledger on ``st.connection("sql")``, its table created on first use.

    LedgerError with a one-line message when the database cannot be opened.
    """
    url = ledger_url()
    try:
        if url is None:
            connection = st.connection("sql", type="sql")
        else:
            connection = st.connection("sql", type="sql", url=prepare_url(url))
        ledger = Ledger(connection.engine)
    except LedgerError:
        raise
    except Exception as error:  # noqa: BLE001 - any driver or configuration error, one line
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise LedgerError(f"The attempt ledger cannot be opened: {first[:200]}") from None
    where = ledger.where
    if where not in _schema_ready:
        with _schema_lock:
            if where not in _schema_ready:
                ledger.create_schema()
                _schema_ready.add(where)
    return ledger
