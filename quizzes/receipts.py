"""Signed quiz receipts: what a student hands in, and what a teacher checks.

A receipt is a JSON-able dict with the student (name, ID and identity key), the assignment and
quiz, the app session's nonce, every question's params and attempt history (answer, status,
credit, time, the nonce of the session that made it, late flag), scores, the totals, the app
version and the time of issue. With a secret key it carries ``signature`` = HMAC-SHA256 (RFC
2104, Python's ``hmac``) in hex over the canonical JSON of the receipt without the signature
(keys sorted, compact separators, UTF-8); without a key it says ``"signed": false`` and
``"signature": null``. Any change to the content breaks the signature; whitespace and key order
do not matter.

A receipt is a portable record (for deployments without a shared database, and for appeals),
not a save game: where the app keeps an attempt ledger, restoring a receipt never brings back
attempts the ledger recorded. Two receipts of one student whose attempt histories do not extend
each other are a fork (:func:`history_extends`), which ``python -m quizzes grade`` reports.

:func:`load_receipt` reads at most :data:`MAX_RECEIPT_BYTES` and refuses JSON with a duplicate
key (which one reader would take as the first value and another as the last).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from quizzes.identity import printable
from quizzes.ledger import Ledger
from quizzes.session import SESSION_FORMAT, SESSION_VERSION, QuizSession, utc_timestamp

RECEIPT_FORMAT = "weight-init-lab/receipt"
RECEIPT_VERSION = 2
#: Largest receipt file read, in bytes (a real receipt is about 10 KB).
MAX_RECEIPT_BYTES = 1_000_000
CheckStatus = Literal["valid", "unsigned", "tampered", "invalid"]
_HEX_SIGNATURE = re.compile(r"[0-9a-f]{64}")
_REQUIRED = {
    "format": str,
    "version": int,
    "app_version": str,
    "issued_at": str,
    "student": str,
    "student_id": str,
    "student_key": str,
    "assignment": str,
    "nonce": str,
    "quiz": dict,
    "mode": str,
    "schedule": list,
    "created_at": str,
    "questions": list,
    "totals": dict,
    "signed": bool,
}
_QUESTION_FIELDS = {
    "id": str,
    "title": str,
    "variant": int,
    "params": dict,
    "attempts": list,
    "score": float,
    "max_score": float,
}


@dataclass(frozen=True)
class ReceiptCheck:
    """Outcome of :func:`verify_receipt`; ``message`` is one line for people."""

    status: CheckStatus
    message: str

    @property
    def ok(self) -> bool:
        """True only for a receipt whose signature checks out."""
        return self.status == "valid"


def make_receipt(
    session: QuizSession,
    secret: bytes | str | None,
    app_version: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The receipt of ``session``, signed with ``secret`` (unsigned when it is None)."""
    if not isinstance(session, QuizSession):
        raise ValueError(f"session must be a QuizSession; got {type(session).__name__}")
    if not isinstance(app_version, str) or not app_version.strip():
        raise ValueError(f"app_version must be a non-empty string; got {app_version!r}")
    key = _key(secret) if secret is not None else None
    data = session.to_dict()
    questions = [
        {
            **item,
            "title": session.question(item["id"]).title,
            "score": float(session.question_score(item["id"])),
            "max_score": 1.0,
        }
        for item in data["questions"]
    ]
    progress = session.progress()
    receipt: dict[str, Any] = {
        "format": RECEIPT_FORMAT,
        "version": RECEIPT_VERSION,
        "app_version": app_version.strip(),
        "issued_at": utc_timestamp(now),
        "student": data["student"],
        "student_id": data["student_id"],
        "student_key": data["student_key"],
        "assignment": data["assignment"],
        "nonce": data["nonce"],
        "quiz": {"id": session.quiz_id, "title": session.quiz_title},
        "mode": data["mode"],
        "schedule": data["schedule"],
        "created_at": data["created_at"],
        "questions": questions,
        "totals": {
            "score": float(progress.score),
            "max_score": float(progress.max_score),
            "answered": progress.answered,
            "solved": progress.solved,
        },
        "signed": key is not None,
    }
    receipt["signature"] = _sign(receipt, key) if key is not None else None
    return receipt


def canonical_bytes(receipt: Mapping[str, Any]) -> bytes:
    """The signed bytes: JSON without ``signature``, keys sorted, no spaces, UTF-8."""
    content = {k: v for k, v in receipt.items() if k != "signature"}
    text = json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def verify_receipt(receipt: object, secret: bytes | str | None) -> ReceiptCheck:
    """valid, unsigned, tampered (signature does not match) or invalid (not a receipt).

    Checking a signed receipt needs the ``secret`` (ValueError when it is None).
    """
    problem = _structure_problem(receipt)
    if problem:
        return ReceiptCheck("invalid", f"Not a valid receipt: {problem}.")
    signature, signed = receipt.get("signature"), receipt["signed"]
    if signature is None and not signed:
        return ReceiptCheck("unsigned", "The receipt is not signed; its scores cannot be trusted.")
    if signature is None or not signed:
        return ReceiptCheck("tampered", "The receipt's signature fields were changed.")
    if secret is None:
        raise ValueError("secret must be the key to check a signed receipt; got None")
    key = _key(secret)
    if not isinstance(signature, str) or not _HEX_SIGNATURE.fullmatch(signature):
        return ReceiptCheck("tampered", "The receipt's signature is malformed.")
    try:
        expected = _sign(receipt, key)
    except ValueError:
        return ReceiptCheck("invalid", "Not a valid receipt: it holds a non-finite number.")
    if hmac.compare_digest(expected, signature):
        return ReceiptCheck("valid", "The signature is valid.")
    return ReceiptCheck(
        "tampered",
        "The signature does not match: the receipt was changed or signed with another key.",
    )


def restore_session(
    receipt: Mapping[str, Any],
    secret: bytes | str | None,
    *,
    variant_key: bytes | str | None = None,
    ledger: Ledger | None = None,
    nonce: str | None = None,
) -> QuizSession:
    """The session stored in ``receipt``, to continue a quiz.

    With a ``secret``, only receipts with a valid signature are accepted (an unsigned one could
    be hand-made); with None, the signature is not checked and every well-formed receipt loads.
    With a ``ledger`` (graded receipts), the attempts come from the ledger, never from the
    receipt (:meth:`QuizSession.from_dict`). ``nonce`` is the restoring app session's.
    """
    problem = _structure_problem(receipt)
    if problem:
        raise ValueError(f"Cannot restore this receipt: it is not a valid receipt ({problem}).")
    if secret is not None:
        check = verify_receipt(receipt, secret)
        if check.status != "valid":
            raise ValueError(f"Cannot restore this receipt: {check.message}")
    session_data = {
        "format": SESSION_FORMAT,
        "version": SESSION_VERSION,
        "student": receipt["student"],
        "student_id": receipt["student_id"],
        "student_key": receipt["student_key"],
        "assignment": receipt["assignment"],
        "nonce": receipt["nonce"],
        "quiz_id": receipt["quiz"].get("id"),
        "mode": receipt["mode"],
        "schedule": receipt["schedule"],
        "created_at": receipt["created_at"],
        "questions": [
            {key: item[key] for key in ("id", "variant", "params", "attempts")}
            for item in receipt["questions"]
        ],
    }
    try:
        return QuizSession.from_dict(
            session_data, variant_key=variant_key, ledger=ledger, nonce=nonce
        )
    except ValueError as error:
        raise ValueError(f"Cannot restore this receipt: {error}") from None


def receipt_to_json(receipt: Mapping[str, Any]) -> str:
    """Readable JSON text for a download (sorted keys, 2-space indent)."""
    return json.dumps(receipt, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)


def load_receipt(text: str | bytes) -> dict[str, Any]:
    """Parse receipt JSON; ValueError with a one-line message if it is not a receipt.

    Text over :data:`MAX_RECEIPT_BYTES` is refused before it is decoded or parsed, and so is
    JSON in which an object repeats a key.
    """
    if isinstance(text, bytes | str) and len(text) > MAX_RECEIPT_BYTES:
        raise ValueError(
            f"not a receipt: larger than {MAX_RECEIPT_BYTES // 1_000_000} MB "
            f"({len(text):,} bytes; a receipt is about 10 KB)"
        )
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError("not a receipt: the file is not UTF-8 text") from None
    if not isinstance(text, str):
        raise ValueError(f"text must be a str or bytes; got {type(text).__name__}")
    try:
        data = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"not a receipt: invalid JSON at line {error.lineno} column {error.colno}"
        ) from None
    except RecursionError:
        raise ValueError("not a receipt: the JSON is nested too deeply") from None
    if not isinstance(data, dict) or data.get("format") != RECEIPT_FORMAT:
        raise ValueError("not a receipt: the JSON lacks the lab's receipt format marker")
    return data


# --- helpers --------------------------------------------------------------------------------


def _key(secret: bytes | str) -> bytes:
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    if not isinstance(secret, bytes) or not secret:
        raise ValueError(f"secret must be a non-empty str or bytes (or None); got {secret!r}")
    return secret


def _sign(receipt: Mapping[str, Any], key: bytes) -> str:
    return hmac.new(key, canonical_bytes(receipt), hashlib.sha256).hexdigest()


def _reject_constant(name: str) -> None:
    raise ValueError(f"not a receipt: {name} is not a number")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise ValueError(f"not a receipt: the key {printable(key, 60)!r} appears twice")
        data[key] = value
    return data


def attempt_history(receipt: Mapping[str, Any]) -> dict[str, list[tuple]]:
    """A receipt's attempts per question id, each attempt as a comparable tuple
    (variant, timestamp, answer, status, credit, nonce)."""
    return {
        item["id"]: [attempt_signature(attempt) for attempt in item["attempts"]]
        for item in receipt["questions"]
    }


def attempt_signature(attempt: Mapping[str, Any]) -> tuple:
    """(variant, timestamp, answer, status, credit, nonce) of one attempt dict."""
    answer = attempt.get("answer")
    answer = answer if isinstance(answer, str) else tuple(answer or ())
    return (
        attempt.get("variant"),
        attempt.get("timestamp"),
        answer,
        attempt.get("status"),
        round(float(attempt.get("credit", 0.0)), 9),
        attempt.get("nonce", ""),
    )


def history_extends(longer: Mapping[str, list], shorter: Mapping[str, list]) -> bool:
    """True when every question's attempts in ``shorter`` are the first attempts of the same
    question in ``longer`` (``longer`` continues ``shorter``; equal histories extend each other).
    """
    return all(
        longer.get(question, [])[: len(attempts)] == attempts
        for question, attempts in shorter.items()
    )


def _structure_problem(receipt: object) -> str | None:
    """Why ``receipt`` is not shaped like a receipt, or None."""
    if not isinstance(receipt, Mapping):
        return "it is not a JSON object"
    if receipt.get("format") != RECEIPT_FORMAT:
        return "the format marker is missing"
    if receipt.get("version") != RECEIPT_VERSION:
        return f"version {receipt.get('version')!r} is not {RECEIPT_VERSION}"
    for name, kind in _REQUIRED.items():
        if not _is(receipt.get(name), kind):
            return f"field {name!r} is missing or not a {kind.__name__}"
    if not isinstance(receipt["quiz"].get("id"), str):
        return "the quiz has no id"
    for index, item in enumerate(receipt["questions"]):
        if not isinstance(item, Mapping):
            return f"question {index + 1} is not an object"
        for name, kind in _QUESTION_FIELDS.items():
            if not _is(item.get(name), kind):
                return f"question {index + 1} field {name!r} is missing or not a {kind.__name__}"
    return None


def _is(value: object, kind: type) -> bool:
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)
