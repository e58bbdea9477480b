"""The distribution of credits: an exact Gini coefficient and its decimal renderings."""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction


def gini(values: Iterable[int]) -> Fraction:
    """The Gini coefficient of non-negative ``values``, exactly.

    G = 2 * sum(i * x_i) / (n * sum(x)) - (n + 1) / n over the values sorted ascending, with i
    from 1 (equal to the mean absolute difference over twice the mean); 0 when there are no
    values or they sum to 0. Raises ``ValueError`` for a negative value.
    """
    ordered = sorted(values)
    if ordered and ordered[0] < 0:
        raise ValueError("the Gini coefficient is defined here for non-negative values")
    n, total = len(ordered), sum(ordered)
    if n == 0 or total == 0:
        return Fraction(0)
    weighted = sum(i * x for i, x in enumerate(ordered, start=1))
    return Fraction(2 * weighted, n * total) - Fraction(n + 1, n)


def per_mille(value: Fraction) -> int:
    """``value`` times 1000, rounded half to even."""
    return round(value * 1000)


def decimal_string(value: Fraction, places: int = 3) -> str:
    """``value`` as a decimal string with ``places`` digits, rounded half to even."""
    scaled = round(value * 10**places)
    sign = "-" if scaled < 0 else ""
    whole, part = divmod(abs(scaled), 10**places)
    return f"{sign}{whole}.{part:0{places}d}" if places else f"{sign}{whole}"
