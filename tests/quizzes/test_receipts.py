"""Signed receipts: round trip, tamper detection down to one byte, unsigned receipts, restore,
duplicate keys, the size limit, attempt histories and forks."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest

from quizzes.receipts import (
    MAX_RECEIPT_BYTES,
    attempt_history,
    canonical_bytes,
    history_extends,
    load_receipt,
    make_receipt,
    receipt_to_json,
    restore_session,
    verify_receipt,
)
from quizzes.session import QuizSession

KEY = "classroom secret"
NOW = datetime(2025, 5, 6, 7, 8, 9, tzinfo=UTC)
QUESTIONS = ["he_variance", "conv_fan_in", "rand_vs_randn"]


def _session() -> QuizSession:
    session = QuizSession(
        "Zoë Example", "review", student_id="zex1", question_ids=QUESTIONS, nonce="f" * 32
    )
    session.created_at = "2025-05-06T07:00:00Z"
    session.submit("he_variance", "0.5", now=NOW)
    params = session.current_params("he_variance")
    session.submit("he_variance", f"2/{params['fan_in']}", now=NOW)
    session.submit("rand_vs_randn", ["bell_shape"], now=NOW)
    return session


@pytest.fixture
def receipt() -> dict:
    return make_receipt(_session(), KEY, "0.1.0", now=NOW)


def test_receipt_content(receipt: dict) -> None:
    assert receipt["student"] == "Zoë Example" and receipt["student_id"] == "zex1"
    assert receipt["student_key"] == "zoë example" and receipt["assignment"] == ""
    assert receipt["nonce"] == "f" * 32 and receipt["version"] == 2
    assert receipt["quiz"] == {"id": "review", "title": "Review"}
    assert receipt["mode"] == "graded" and receipt["schedule"] == [1.0, 0.75, 0.5]
    assert receipt["app_version"] == "0.1.0" and receipt["issued_at"] == "2025-05-06T07:08:09Z"
    assert receipt["signed"] is True and len(receipt["signature"]) == 64
    scores = {q["id"]: q["score"] for q in receipt["questions"]}
    assert scores == {"he_variance": 0.75, "conv_fan_in": 0.0, "rand_vs_randn": 0.0}
    assert receipt["totals"] == {"score": 0.75, "max_score": 3.0, "answered": 2, "solved": 1}
    first = receipt["questions"][0]
    assert [a["status"] for a in first["attempts"]] == ["incorrect", "correct"]
    assert first["attempts"][1]["timestamp"] == "2025-05-06T07:08:09Z"
    assert first["attempts"][1]["nonce"] == "f" * 32 and first["attempts"][1]["late"] is False
    assert set(first["params"]) == {"fan_in", "fan_out"}


def test_signature_is_hmac_sha256_over_canonical_json(receipt: dict) -> None:
    content = {k: v for k, v in receipt.items() if k != "signature"}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonical_bytes(receipt) == canonical.encode("utf-8")
    expected = hmac.new(KEY.encode(), canonical.encode("utf-8"), hashlib.sha256).hexdigest()
    assert receipt["signature"] == expected


def test_round_trip_and_restore(receipt: dict) -> None:
    text = receipt_to_json(receipt)
    loaded = load_receipt(text)
    assert loaded == receipt
    check = verify_receipt(loaded, KEY)
    assert check.status == "valid" and check.ok
    assert verify_receipt(loaded, KEY.encode()).ok  # bytes keys work too
    restored = restore_session(loaded, KEY)
    assert restored.to_dict() == _session().to_dict()
    assert restored.score() == 0.75 and restored.attempts_left("he_variance") == 0
    assert restored.attempts_left("rand_vs_randn") == 2


def test_key_order_and_whitespace_do_not_matter(receipt: dict) -> None:
    reordered = dict(reversed(list(receipt.items())))
    compact = json.dumps(reordered, separators=(",", ":"), ensure_ascii=True)
    assert verify_receipt(load_receipt(compact), KEY).status == "valid"


def test_every_one_byte_change_is_detected(receipt: dict) -> None:
    raw = receipt_to_json(receipt).encode("utf-8")
    detected = same_content = 0
    for index in range(len(raw)):
        changed = bytearray(raw)
        changed[index] ^= 0x01  # flips a digit, a letter's case-neighbour, a quote, a space...
        try:
            loaded = load_receipt(bytes(changed))
        except ValueError:
            detected += 1
            continue
        if verify_receipt(loaded, KEY).status in ("tampered", "invalid"):
            detected += 1
        else:
            # Only a change that leaves the parsed content identical may pass.
            assert loaded == receipt, f"undetected change at byte {index}"
            same_content += 1
    assert detected + same_content == len(raw)
    assert same_content <= 0.001 * len(raw)


@pytest.mark.parametrize(
    "change",
    [
        lambda r: r["totals"].update(score=3.0),
        lambda r: r["questions"][0].update(score=1.0),
        lambda r: r["questions"][1]["attempts"].append(dict(r["questions"][0]["attempts"][1])),
        lambda r: r.update(student="Someone Else"),
        lambda r: r["questions"][0]["params"].update(fan_in=1),
        lambda r: r.update(extra="field"),
    ],
)
def test_content_changes_are_tampered(receipt: dict, change) -> None:
    change(receipt)
    check = verify_receipt(receipt, KEY)
    assert check.status == "tampered" and "does not match" in check.message
    with pytest.raises(ValueError, match="Cannot restore this receipt: The signature"):
        restore_session(receipt, KEY)


def test_signature_fields_and_wrong_key(receipt: dict) -> None:
    assert verify_receipt(receipt, "another key").status == "tampered"
    unflagged = {**receipt, "signed": False}
    assert verify_receipt(unflagged, KEY).status == "tampered"
    stripped = {**receipt, "signature": None}
    assert verify_receipt(stripped, KEY).status == "tampered"
    garbled = {**receipt, "signature": "xyz"}
    assert verify_receipt(garbled, KEY).status == "tampered"
    with pytest.raises(ValueError, match="secret must be the key"):
        verify_receipt(receipt, None)


def test_unsigned_receipts() -> None:
    unsigned = make_receipt(_session(), None, "0.1.0", now=NOW)
    assert unsigned["signed"] is False and unsigned["signature"] is None
    assert verify_receipt(unsigned, KEY).status == "unsigned"
    assert verify_receipt(unsigned, None).status == "unsigned"
    with pytest.raises(ValueError, match="not signed"):
        restore_session(unsigned, KEY)  # with a key configured, a hand-made receipt is refused
    assert restore_session(unsigned, None).score() == 0.75  # an app without a key accepts it


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ([], "not a JSON object"),
        ({"format": "other"}, "format marker"),
        ({"format": "weight-init-lab/receipt", "version": 1}, "version 1 is not 2"),
        ({"format": "weight-init-lab/receipt", "version": 2}, "field 'app_version'"),
    ],
)
def test_malformed_receipts_are_invalid(data, problem: str) -> None:
    check = verify_receipt(data, KEY)
    assert check.status == "invalid" and problem in check.message
    with pytest.raises(ValueError, match="not a valid receipt"):
        restore_session(data, KEY)


def test_load_receipt_errors_are_one_line() -> None:
    cases = {
        "{not json": "invalid JSON at line 1 column 2",
        "[1, 2]": "format marker",
        '{"format": "weight-init-lab/receipt", "x": NaN}': "NaN is not a number",
        "[" * 100_000: "nested too deeply",
    }
    for text, message in cases.items():
        with pytest.raises(ValueError, match=message) as error:
            load_receipt(text)
        assert "\n" not in str(error.value)
    with pytest.raises(ValueError, match="not UTF-8"):
        load_receipt(b"\xff\xfe")


def test_make_receipt_validation() -> None:
    session = _session()
    with pytest.raises(ValueError, match="app_version"):
        make_receipt(session, KEY, "")
    with pytest.raises(ValueError, match="secret must be"):
        make_receipt(session, "", "0.1.0")
    with pytest.raises(ValueError, match="session must be"):
        make_receipt({"student": "x"}, KEY, "0.1.0")


def test_duplicate_keys_are_refused(receipt: dict) -> None:
    # One reader would show the first "student", another grade the last: refuse both.
    text = receipt_to_json(receipt).replace(
        '"student": "Zoë Example",', '"student": "Zoë Example", "student": "Mallory",', 1
    )
    assert text.count('"student":') == 2
    with pytest.raises(ValueError, match="the key 'student' appears twice"):
        load_receipt(text)
    nested = receipt_to_json(receipt).replace('"score": 0.75,', '"score": 0.75, "score": 3.0,', 1)
    with pytest.raises(ValueError, match="the key 'score' appears twice"):
        load_receipt(nested)


def test_large_files_are_refused_before_parsing(monkeypatch) -> None:
    import quizzes.receipts as receipts_module

    def never(*args, **kwargs):
        raise AssertionError("a file over the limit must not be parsed")

    monkeypatch.setattr(receipts_module.json, "loads", never)
    big = b'{"format": "weight-init-lab/receipt", "pad": "' + b"x" * MAX_RECEIPT_BYTES + b'"}'
    for data in (big, big.decode()):
        with pytest.raises(ValueError, match="larger than 1 MB"):
            load_receipt(data)


def test_histories_extend_or_fork() -> None:
    session = _session()
    early = make_receipt(session, KEY, "0.1.0", now=NOW)
    session.submit("conv_fan_in", "1", now=NOW)
    later = make_receipt(session, KEY, "0.1.0", now=NOW)
    assert history_extends(attempt_history(later), attempt_history(early))
    assert not history_extends(attempt_history(early), attempt_history(later))
    assert history_extends(attempt_history(early), attempt_history(early))
    # A branch from the early state: another answer where the later receipt has "1".
    branch = restore_session(early, KEY)
    branch.submit("conv_fan_in", "2", now=NOW)
    forked = make_receipt(branch, KEY, "0.1.0", now=NOW)
    assert history_extends(attempt_history(forked), attempt_history(early))
    assert not history_extends(attempt_history(forked), attempt_history(later))
    assert not history_extends(attempt_history(later), attempt_history(forked))
