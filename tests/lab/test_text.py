"""lab.text.plural: the one helper that puts a count and its noun together."""

from __future__ import annotations

import numpy as np
import pytest

from lab.text import plural


@pytest.mark.parametrize(
    ("count", "noun", "expected"),
    [
        (1, "sample", "1 sample"),
        (2, "sample", "2 samples"),
        (0, "run", "0 runs"),
        (10_000, "sample", "10,000 samples"),
        (np.int64(1), "layer", "1 layer"),
        (1, "held-out point", "1 held-out point"),
        (3, "ReLU layer", "3 ReLU layers"),
    ],
)
def test_plural_is_singular_exactly_for_one(count, noun, expected):
    assert plural(count, noun) == expected


def test_irregular_plural():
    assert plural(2, "matrix", "matrices") == "2 matrices"
    assert plural(1, "matrix", "matrices") == "1 matrix"


@pytest.mark.parametrize(("count", "noun"), [(1.0, "sample"), (True, "sample"), (2, "")])
def test_plural_refuses_what_is_not_a_count_and_a_noun(count, noun):
    with pytest.raises(ValueError):
        plural(count, noun)
