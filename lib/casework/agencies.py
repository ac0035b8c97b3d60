"""One rule for "this text names agency X" (役割分担, 参加機関 …), used by scope, agenda, plans,
indicators and resources.

A name counts only as a whole name from the known list (機関 tab, or 社会資源 names), matched
after NFKC, longest first: in 「社協ボランティアセンター」 the agency 社協ボランティアセンター is
named and 社協 is not; in 「地域包括支援センター北部」 only that centre is named, not 地域包括支援センター.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable, Iterable

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


@lru_cache(maxsize=64)
def _compiled(names: tuple) -> re.Pattern | None:
    return _pattern(_key(names))


def named(text: object, names: Iterable[str]) -> set[str]:
    """The names (NFKC) from `names` that `text` names as whole names, longest first."""
    if not isinstance(text, str) or not text:
        return set()
    pattern = _compiled(names if isinstance(names, tuple) else tuple(names))
    return set(pattern.findall(nfkc(text))) if pattern is not None else set()


def namer(names: Iterable[str]) -> Callable[[object], set[str]]:
    """`named` with the names fixed, for many texts (the pattern is found once, not per text:
    thousands of 社会資源 names per plan row made a count quadratic)."""
    pattern = _compiled(tuple(names))

    def find(text: object) -> set[str]:
        if pattern is None or not isinstance(text, str) or not text:
            return set()
        return set(pattern.findall(nfkc(text)))
    return find


def names_agency(text: object, agency: str | None, names: Iterable[str]) -> bool:
    """Whether `text` names `agency` (itself added to the known `names`)."""
    if not agency:
        return False
    return nfkc(agency) in named(text, [*names, agency])


def members(workbook) -> list[str]:
    """The 支援会議構成員 agencies, in the 機関 tab's order: 支援会議構成員 はい, and never a tax
    office (所管課 税務…: tax information is not shared in 支援会議; データ点検 warns)."""
    from lib.workbook.validate import tax_office
    agencies = workbook[schema.AGENCIES]
    return [name for name, flag, department in zip(agencies["機関名"], agencies["支援会議構成員"], agencies["所管課"])
            if flag == "はい" and not tax_office(department)]


def is_member(workbook, agency: str | None) -> bool:
    """Whether an agency is a 支援会議構成員 (see `members`)."""
    return bool(agency) and nfkc(agency) in {nfkc(a) for a in members(workbook)}


def register(workbook):
    """支援会議の構成員名簿: each member agency with its persons from 構成員名簿 and the date each
    acknowledged 守秘義務 (法第159条); a member agency with nobody listed gets one row saying so."""
    import pandas as pd
    columns = ["機関名", "分野", "所管課", "氏名", "役職", "守秘義務確認日"]
    agencies = workbook[schema.AGENCIES].set_index("機関名")
    people = workbook[schema.MEMBER_REGISTER]
    rows = []
    for agency in members(workbook):
        info = agencies.loc[agency]
        base = {"機関名": agency, "分野": "、".join(info["分野"]), "所管課": info["所管課"] or ""}
        own = people[people["機関名"].map(nfkc) == nfkc(agency)]
        if own.empty:
            rows.append({**base, "氏名": "（名簿に記載なし）", "役職": "", "守秘義務確認日": None})
        for person in own.to_dict("records"):
            day = person["守秘義務確認日"]
            rows.append({**base, "氏名": person["氏名"], "役職": person["役職"] or "",
                         "守秘義務確認日": None if pd.isna(day) else pd.Timestamp(day).date()})
    return pd.DataFrame(rows, columns=columns)
