"""One rule for "this text names agency X" (役割分担, 参加機関 …), used by scope, agenda, plans,
indicators and resources.

A name counts only as a whole name from the known list (機関 tab, or 社会資源 names), matched
after NFKC, longest first: in 「社協ボランティアセンター」 the agency 社協ボランティアセンター is
named and 社協 is not; in 「地域包括支援センター北部」 only that centre is named, not 地域包括支援センター.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

from lib.workbook import schema
from lib.workbook.cells import nfkc


@lru_cache(maxsize=64)
def _pattern(names: tuple[str, ...]) -> re.Pattern | None:
    """One alternation of the names, longest first (regex alternation takes the first that fits)."""
    if not names:
        return None
    return re.compile("|".join(re.escape(n) for n in sorted(names, key=lambda n: (-len(n), n))))


def _key(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({nfkc(n) for n in names if isinstance(n, str) and nfkc(n)}))


def named(text: object, names: Iterable[str]) -> set[str]:
    """The names (NFKC) from `names` that `text` names as whole names, longest first."""
    pattern = _pattern(_key(names))
    if pattern is None or not isinstance(text, str) or not text:
        return set()
    return set(pattern.findall(nfkc(text)))


def names_agency(text: object, agency: str | None, names: Iterable[str]) -> bool:
    """Whether `text` names `agency` (itself added to the known `names`)."""
    if not agency:
        return False
    return nfkc(agency) in named(text, [*names, agency])


def is_member(workbook, agency: str | None) -> bool:
    """Whether an agency is a 支援会議構成員 (機関 tab says はい)."""
    agencies = workbook[schema.AGENCIES]
    return bool(((agencies["機関名"].map(nfkc) == nfkc(agency or "")) & (agencies["支援会議構成員"] == "はい")).any())
