"""Who a student is: a signed-in account, or a name and an ID the student typed.

Two modes, chosen by the deployment:

- ``signed_in``: the app's sign-in (Streamlit's ``st.login`` with an OpenID Connect provider)
  vouches for the account. The student is the account's e-mail (or, without one, its ``sub``
  claim), shown and not editable: :func:`signed_in_identity`.
- ``self_declared``: the student types a name and a student ID; anyone can type anything, and
  the page says so. The **ID** identifies the student (variants, attempts, the gradebook's
  ``SIS Login ID``); the name is only displayed: :func:`self_declared_identity`.

Typed text is normalized by :func:`normalize_text`: Unicode NFKC (UAX #15: compatibility
characters such as full-width letters and ligatures become their plain forms), every control and
format character removed (Unicode general categories Cc and Cf: zero-width spaces, joiners,
direction marks, terminal escapes), whitespace collapsed to single spaces, and a length limit.
NFKC does **not** fold one script into another: a Cyrillic "о" (U+043E) stays Cyrillic, so
"Bоb" and "Bob" remain two names. That is why a student ID is restricted to ASCII letters,
digits and ``. _ - @ +`` (what university logins and e-mail addresses use) and compared
case-insensitively: two IDs that look alike are the same ID.

:func:`printable` strips terminal escape sequences and control characters from any text before
it is printed to a terminal.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

IdentityMode = Literal["signed_in", "self_declared", "anonymous"]
#: Longest display name, in characters after normalization.
MAX_NAME_LENGTH = 80
#: Longest student ID or account e-mail, in characters.
MAX_ID_LENGTH = 64
#: The identity key of a student who gave no identity (practice only).
ANONYMOUS_KEY = "anonymous"
#: Characters a typed student ID may hold (checked after NFKC).
_ID_PATTERN = re.compile(r"[A-Za-z0-9._@+\-]+")
#: Unicode general categories removed from typed text: control (Cc), format (Cf), surrogate
#: (Cs, cannot be encoded) and private use (Co, has no agreed glyph).
_REMOVED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co"})
#: ANSI/ECMA-48 escape sequences (CSI ... final byte, OSC ... BEL/ST, two-character escapes).
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, screen clears
    r"|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC: titles, hyperlinks
    r"|\x1b[@-Z\\-_]"  # other two-character escapes
)


def normalize_text(text: object, what: str, max_length: int) -> str:
    """``text`` in NFKC with control/format characters removed and whitespace collapsed.

    ValueError naming ``what`` when the result is empty or longer than ``max_length``.
    """
    if not isinstance(text, str):
        raise ValueError(f"{what} must be text of 1-{max_length} characters; got {text!r}")
    text = unicodedata.normalize("NFKC", text)
    kept = "".join(
        " " if char.isspace() else char
        for char in text
        if char.isspace() or unicodedata.category(char) not in _REMOVED_CATEGORIES
    )
    kept = " ".join(kept.split())
    if not kept or len(kept) > max_length:
        raise ValueError(
            f"{what} must be text of 1-{max_length} characters once normalized; "
            f"got {len(kept)} characters"
        )
    return kept


def normalize_student_id(student_id: object) -> str:
    """A typed student ID: NFKC, stripped, 1-64 ASCII letters, digits or ``. _ - @ +``."""
    text = normalize_text(student_id, "student ID", MAX_ID_LENGTH)
    if not _ID_PATTERN.fullmatch(text):
        raise ValueError(
            "student ID must use only the letters A-Z and a-z, digits and . _ - @ + "
            "(no spaces, no letters of other alphabets); "
            f"got {printable(text)!r}"
        )
    return text


def printable(text: object, max_length: int = 200) -> str:
    """``text`` safe to print to a terminal: escape sequences and control/format characters
    removed, whitespace collapsed, cut to ``max_length`` characters (with an ellipsis)."""
    text = _ESCAPE_SEQUENCE.sub("", str(text))
    kept = "".join(
        " " if char.isspace() else char
        for char in text
        if char.isspace() or unicodedata.category(char) not in _REMOVED_CATEGORIES
    )
    kept = " ".join(kept.split())
    return kept if len(kept) <= max_length else kept[:max_length] + "…"


@dataclass(frozen=True)
class Identity:
    """A student as the quizzes see them.

    ``key`` identifies the student everywhere (variant seeds, the attempt ledger, receipts,
    the gradebook): ``sso:<e-mail or sub>`` when signed in, ``id:<ID>`` (casefolded) when
    self-declared, ``anonymous`` for practice without a name. ``name`` is what pages display;
    ``student_id`` fills the gradebook's ``SIS Login ID``.
    """

    key: str
    name: str
    student_id: str
    mode: IdentityMode

    @property
    def verified(self) -> bool:
        """True when a sign-in vouches for the identity (False when typed)."""
        return self.mode == "signed_in"


ANONYMOUS = Identity(ANONYMOUS_KEY, "anonymous", "", "anonymous")


def self_declared_identity(name: object, student_id: object) -> Identity:
    """The identity of a student who typed ``name`` and ``student_id`` (ValueError if bad)."""
    clean_name = normalize_text(name, "name", MAX_NAME_LENGTH)
    clean_id = normalize_student_id(student_id)
    return Identity(f"id:{clean_id.casefold()}", clean_name, clean_id, "self_declared")


def signed_in_identity(claims: Mapping[str, object]) -> Identity:
    """The identity of a signed-in account from its OpenID Connect claims (``st.user``).

    The account is its ``email`` (casefolded) or, without one, its ``sub``; the name is the
    ``name`` claim, or the e-mail. ValueError when neither ``email`` nor ``sub`` is usable.
    """
    email, sub = claims.get("email"), claims.get("sub")
    if isinstance(email, str) and email.strip():
        account = normalize_text(email, "account e-mail", MAX_ID_LENGTH)
        key = f"sso:{account.casefold()}"
    elif isinstance(sub, str) and sub.strip():
        account = normalize_text(sub, "account subject (sub)", MAX_ID_LENGTH)
        key = f"sso:sub:{account}"
    else:
        raise ValueError("the signed-in account must have an email or a sub claim; got neither")
    raw_name = claims.get("name")
    try:
        name = normalize_text(raw_name, "name", MAX_NAME_LENGTH) if raw_name else account
    except ValueError:
        name = account
    return Identity(key, name, account, "signed_in")
