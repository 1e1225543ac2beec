"""``pages.ui.student.secret``: a secrets store without a file is opened at most once per
``SECRETS_RECHECK_SECONDS`` (not on every lookup of every run), a file added later is still
found, and a store with a file, or another store (AppTest's), is read at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import streamlit as st

from pages.ui import student


class Store:
    """A stand-in for ``st.secrets``: raises FileNotFoundError, as Streamlit does without a
    secrets file, until ``values`` is set; counts the attempts."""

    def __init__(self, values: dict | None = None) -> None:
        self.values = values
        self.opened = 0

    def get(self, name: str, default: object = None) -> object:
        self.opened += 1
        if self.values is None:
            raise FileNotFoundError("No secrets found.")
        return self.values.get(name, default)


@pytest.fixture
def clock(monkeypatch) -> Iterator[list[float]]:
    now = [1000.0]
    monkeypatch.setattr(student, "_clock", lambda: now[0])
    monkeypatch.setattr(student, "_no_secrets", None)
    yield now


def test_without_a_file_the_store_is_opened_once_until_the_recheck(monkeypatch, clock):
    store = Store()
    monkeypatch.setattr(st, "secrets", store)
    assert student.secret("receipt_key") is None
    assert student.secret_text("variant_key") is None
    assert not student.secret_flag("reveal_answers")
    assert not student.sign_in_configured()
    assert store.opened == 1
    # The file appears: found after the recheck interval, not before.
    store.values = {"receipt_key": "k" * 32, "reveal_answers": True}
    clock[0] += student.SECRETS_RECHECK_SECONDS - 0.5
    assert student.secret("receipt_key") is None
    assert store.opened == 1
    clock[0] += 0.5
    assert student.secret("receipt_key") == "k" * 32
    assert student.secret_flag("reveal_answers")
    assert student.secret("variant_key") is None  # no such key: not taken for "no file"
    assert store.opened == 4
    assert student.secret("receipt_key") == "k" * 32
    assert store.opened == 5


def test_another_store_is_read_at_once(monkeypatch, clock):
    monkeypatch.setattr(st, "secrets", Store())
    assert student.secret("receipt_key") is None
    # AppTest replaces st.secrets by a store of its own for a test with secrets.
    given = Store({"auth": {"client_id": "x"}, "connections": {"sql": {"url": "sqlite://"}}})
    monkeypatch.setattr(st, "secrets", given)
    assert student.sign_in_configured()
    assert student.ledger_url() == "sqlite://"
    assert given.opened == 2
