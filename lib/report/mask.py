"""Small counts in a published report: in a small town a count of 1 or 2 can name a person, so it is
printed as 「3未満」; a total whose parts include such a cell is printed as the range those parts
allow (12〜14), which says nothing the parts do not; a change or a rate computed from a hidden
count is not printed. Counts of places and meetings are not about people and stay as they are."""
from __future__ import annotations

import math

SMALL = "3未満"
HIDDEN = "—"          # a change or rate that would give a hidden count away, or nothing to compare
LOW, HIGH = 1, 2      # the counts hidden


def blank(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def small(value) -> bool:
    """Whether a count is one that is hidden (1 or 2)."""
    return not blank(value) and not isinstance(value, str) and LOW <= value <= HIGH


def number(value) -> str:
    """A figure as printed: 12, 3.5, 0; blank → —."""
    if blank(value):
        return HIDDEN
    if isinstance(value, str):
        return value
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.1f}"


def cell(value, personal: bool = True) -> str:
    """One count as printed: 1 and 2 → 3未満 (when it counts people or their records)."""
    return SMALL if personal and small(value) else number(value)


def total(parts: list, personal: bool = True) -> str:
    """The total of `parts` as printed: when some part is hidden, the range the hidden parts allow
    (each is 1 or 2) — the same whatever they are, so it gives none of them away (1 + 1 printed
    as 3未満 would say both are 1); otherwise the sum, or 3未満 when it is 1 or 2."""
    values = [0 if blank(v) else v for v in parts]
    whole = sum(values)
    if not personal:
        return number(whole)
    hidden = [v for v in values if small(v)]
    if not hidden:
        return SMALL if small(whole) else number(whole)
    seen = whole - sum(hidden)
    return f"{number(seen + LOW * len(hidden))}〜{number(seen + HIGH * len(hidden))}"


def exact(shown: str) -> bool:
    """Whether a printed figure is the number itself (not hidden, a range or blank)."""
    return shown not in (SMALL, HIDDEN) and "〜" not in shown


def change(this_shown: str, last_shown: str, this, last) -> str:
    """This year − last year, printed only when both figures were printed exactly (+3, −2, ±0)."""
    if not (exact(this_shown) and exact(last_shown)) or blank(this) or blank(last):
        return HIDDEN
    diff = this - last
    return "±0" if diff == 0 else f"{'+' if diff > 0 else '−'}{number(abs(diff))}"


def rate(this_shown: str, this, target) -> str:
    """達成率 (this / target), printed only when the figure was printed exactly."""
    if not exact(this_shown) or blank(this) or blank(target) or not target:
        return HIDDEN
    return f"{this / target:.0%}"


def for_chart(value, personal: bool = True):
    """A value as a chart draws it: a hidden count is not drawn (None)."""
    return None if personal and small(value) else value
