"""Command line of the quiz library: ``python -m quizzes grade RECEIPT... --csv OUT``.

See :mod:`quizzes.gradebook` for the CSV layout and the exit codes (0 written, 1 no valid
receipt, 2 usage error, no key or no readable file).
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
        description="Verify signed quiz receipts and write one CSV row per student.",
    )
    grade.add_argument("receipts", nargs="+", metavar="RECEIPT", help="receipt JSON files")
    grade.add_argument("--csv", required=True, metavar="PATH", help="gradebook CSV to write")
    keys = grade.add_mutually_exclusive_group()
    keys.add_argument("--key", help="the signing key (visible in the process list: prefer env)")
    keys.add_argument(
        "--key-env",
        default=DEFAULT_KEY_ENV,
        metavar="VAR",
        help=f"environment variable holding the key (default {DEFAULT_KEY_ENV})",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; returns the exit status."""
    args = build_parser().parse_args(argv)
    # Imported after parsing, so usage errors answer at once without loading numpy and scipy.
    from quizzes.gradebook import run_grade

    return run_grade(args.receipts, args.csv, args.key, args.key_env, sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
