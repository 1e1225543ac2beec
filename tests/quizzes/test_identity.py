"""Identity: normalization of typed names and IDs, look-alikes, sign-in claims, safe printing."""

from __future__ import annotations

import pytest

from quizzes.identity import (
    MAX_ID_LENGTH,
    MAX_NAME_LENGTH,
    normalize_student_id,
    normalize_text,
    printable,
    self_declared_identity,
    signed_in_identity,
)

ZERO_WIDTH_SPACE = "\u200b"
CYRILLIC_O = "\u043e"  # looks like the Latin "o"


def test_names_are_nfkc_with_invisible_characters_removed() -> None:
    assert normalize_text("  Ada \t  Lovelace\n", "name", 80) == "Ada Lovelace"
    # Zero-width space, zero-width joiner, a right-to-left override, BOM: format characters.
    hidden = f"Ada{ZERO_WIDTH_SPACE} Love\u200dlace\u202e\ufeff"
    assert normalize_text(hidden, "name", 80) == "Ada Lovelace"
    # NFKC: full-width letters and the "ﬁ" ligature become plain letters.
    assert normalize_text("\uff21da \ufb01sh", "name", 80) == "Ada fish"
    # Terminal escape sequences lose their ESC (a control character) and cannot act.
    assert "\x1b" not in normalize_text("Ada\x1b[2J", "name", 80)


def test_nfkc_does_not_fold_cyrillic_into_latin() -> None:
    latin, cyrillic = "Bob", f"B{CYRILLIC_O}b"
    assert normalize_text(cyrillic, "name", 80) != latin  # documented: look-alikes stay apart
    # ...which is why the ID, the field that identifies, takes only ASCII letters.
    with pytest.raises(ValueError, match="student ID must use only the letters A-Z"):
        normalize_student_id(f"s{CYRILLIC_O}123")


def test_lengths_and_empty_text() -> None:
    assert len(normalize_text("x" * MAX_NAME_LENGTH, "name", MAX_NAME_LENGTH)) == MAX_NAME_LENGTH
    for bad in ("", "   ", ZERO_WIDTH_SPACE * 3, "x" * (MAX_NAME_LENGTH + 1), None, 12):
        with pytest.raises(ValueError, match="name must be text of 1-80"):
            normalize_text(bad, "name", MAX_NAME_LENGTH)
    with pytest.raises(ValueError, match="student ID must be text of 1-64"):
        normalize_student_id("s" * (MAX_ID_LENGTH + 1))
    for bad in ("s 123", "s123;drop", "=1+1 x", "<b>"):
        with pytest.raises(ValueError, match="student ID must use only"):
            normalize_student_id(bad)
    assert normalize_student_id(" ada.lovelace+cs@uni.example ") == "ada.lovelace+cs@uni.example"


def test_the_id_identifies_a_self_declared_student() -> None:
    ada = self_declared_identity("Ada Lovelace", "S1234567")
    assert (ada.key, ada.name, ada.student_id, ada.mode) == (
        "id:s1234567",
        "Ada Lovelace",
        "S1234567",
        "self_declared",
    )
    assert not ada.verified
    # Another way of writing the name, or another name, with the same ID: the same student.
    assert self_declared_identity(f"ada{ZERO_WIDTH_SPACE}  lovelace", "s1234567").key == ada.key
    assert self_declared_identity("Augusta King", "s1234567").key == ada.key
    # A zero-width space inside the ID is removed; full-width digits fold to ASCII (NFKC).
    assert self_declared_identity("Ada", f"s123{ZERO_WIDTH_SPACE}4567").key == ada.key
    assert self_declared_identity("Ada", "s\uff11234567").key == ada.key
    assert self_declared_identity("Ada", "s7654321").key != ada.key


def test_signed_in_identity_comes_from_the_claims() -> None:
    claims = {"is_logged_in": True, "email": "Ada@Uni.example", "name": "Ada L.", "sub": "42"}
    ada = signed_in_identity(claims)
    assert (ada.key, ada.name, ada.student_id, ada.mode) == (
        "sso:ada@uni.example",
        "Ada L.",
        "Ada@Uni.example",
        "signed_in",
    )
    assert ada.verified
    no_email = signed_in_identity({"sub": "abc-123"})
    assert no_email.key == "sso:sub:abc-123" and no_email.name == "abc-123"
    # A typed ID can never produce a signed-in key.
    assert self_declared_identity("Ada", "ada@uni.example").key != ada.key
    with pytest.raises(ValueError, match="email or a sub"):
        signed_in_identity({"name": "Nobody"})


def test_printable_strips_escape_sequences_and_controls() -> None:
    nasty = "Mallory\x1b]0;pwned\x07\x1b[2J\x1b[31mred\x9b1A\r\nnext\x00\u202e"
    assert printable(nasty) == "Malloryred next"
    assert printable("x" * 300, 10) == "x" * 10 + "…"
    assert printable("Zoë Example") == "Zoë Example"
