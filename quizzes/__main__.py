"""Command line of the quiz library:
``python -m quizzes grade [RECEIPT...] --csv OUT [--db URL] [--assignments PATH]
[--key KEY | --key-env VAR]``.

See :mod:`quizzes.gradebook` for the CSV layout, forks and the exit codes (0 written, 1 nothing
valid, 2 usage error, no key, no readable file or an unreadable database).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

#: Where the signing key is read from unless --key or --key-env says otherwise.
DEFAULT_KEY_ENV = "LAB_RECEIPT_KEY"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (argparse exits with status 2 on a usage error)."""
    parser = argparse.ArgumentParser(
        prog="python -m quizzes", description="Tools for the Weight Initialization Lab quizzes."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    grade = commands.add_parser(
        "grade",
        help="verify receipts and write a gradebook CSV",
        description=(
            "Read the attempt ledger (--db) and/or verify signed quiz receipts, and write one "
            "CSV row per student. Forks (receipts of one student whose histories diverge) are "
            "flagged, never merged."
        ),
    )
    grade.add_argument("receipts", nargs="*", metavar="RECEIPT", help="receipt JSON files")
    grade.add_argument("--csv", required=True, metavar="PATH", help="gradebook CSV to write")
    grade.add_argument(
        "--db",
        metavar="URL",
        help="the app's attempt ledger, e.g. sqlite:///lab-data/ledger.sqlite3 or "
        "postgresql+psycopg://user:password@host/db",
    )
    grade.add_argument(
        "--assignments",
        default="assignments.toml",
        metavar="PATH",
        help="the assignments file whose quiz sets give their questions and points (default "
        "assignments.toml)",
    )
    keys = grade.add_mutually_exclusive_group()
    keys.add_argument("--key", help="the signing key (visible in the process list: prefer env)")
    keys.add_argument(
        "--key-env",
        default=DEFAULT_KEY_ENV,
        metavar="VAR",
        help=f"environment variable holding the key (default {DEFAULT_KEY_ENV})",
    )
    _add_report_commands(commands)
    return parser


def _add_report_commands(commands) -> None:
    """``report`` (the instructor page's tables from the ledger) and ``assignments`` (check
    an assignments file); see quizzes/report.py."""
    report = commands.add_parser(
        "report",
        help="print the gradebook and the item analysis of the attempt ledger",
        description="Print each assignment's totals (late flags), the gradebook per question "
        "and the item analysis of every quiz, from the app's attempt ledger.",
    )
    report.add_argument("--db", required=True, metavar="URL", help="the app's attempt ledger")
    report.add_argument("--assignment", metavar="ID", help="only this assignment's attempts")
    report.add_argument(
        "--assignments",
        default="assignments.toml",
        metavar="PATH",
        help="the assignments file (default assignments.toml)",
    )
    report.add_argument(
        "--variant-key-env",
        default="LAB_VARIANT_KEY",
        metavar="VAR",
        help="environment variable holding the deployment's variant_key (default "
        "LAB_VARIANT_KEY), for the breakdown by parameter",
    )
    check = commands.add_parser(
        "assignments",
        help="check an assignments file",
        description="Check an assignments file and print its assignments, or its error.",
    )
    check.add_argument("path", nargs="?", default="assignments.toml", metavar="PATH")


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in ("report", "assignments"):
        from quizzes.report import run_check, run_report, variant_key_from_env

        if args.command == "assignments":
            return run_check(args.path, sys.stdout, sys.stderr)
        key = variant_key_from_env(args.variant_key_env)
        return run_report(args.db, args.assignments, key, sys.stdout, sys.stderr, args.assignment)
    if not args.receipts and args.db is None:
        parser.error("grade needs receipt files, --db URL, or both")
    # Imported after parsing, so usage errors answer at once without loading numpy and scipy.
    from quizzes.gradebook import run_grade

    return run_grade(
        args.receipts, args.csv, args.key, args.key_env, sys.stderr, args.db, args.assignments
    )


if __name__ == "__main__":
    sys.exit(main())
