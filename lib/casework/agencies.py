"""The only way anything looks an agency up: "is this the same agency" (`key`, `same`), "this text
names agency X" (役割分担, 参加機関 …), the 機関 tab's row of an agency however it was spelled
(`directory`: its spelling, mail address, 分野), and 支援会議 membership. Used by scope, agenda,
paperwork, invitations, digests, referrals, plans, indicators and resources.

One agency is one agency whatever the width of its letters and brackets and whatever spaces were
typed: アウトリーチ支援員（社協）, アウトリーチ支援員(社協) and アウトリーチ支援員 (社協) are the same
(`key`: NFKC without white space). A name counts only as a whole name from the known list (機関 tab,
or 社会資源 names), longest first: in 「社協ボランティアセンター」 the agency 社協ボランティアセンター is
named and 社協 is not; in 「地域包括支援センター北部」 only that centre is named, not 地域包括支援センター.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable, Iterable

from lib.workbook import schema
from lib.workbook.cells import name_key

key = name_key      # one agency, one key (see the module docstring)


def same(a: object, b: object) -> bool:
    """Whether two spellings name the same agency (neither blank)."""
    return bool(key(a)) and key(a) == key(b)


@lru_cache(maxsize=64)
def _pattern(names: tuple[str, ...]) -> re.Pattern | None:
    """One alternation of the names' keys, longest first (regex alternation takes the first that fits);
    it is matched against a text's key, so spaces typed inside a name do not hide it."""
    if not names:
        return None
    return re.compile("|".join(re.escape(n) for n in sorted(names, key=lambda n: (-len(n), n))))


def _keys(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({key(n) for n in names if isinstance(n, str) and key(n)}))


@lru_cache(maxsize=64)
def _compiled(names: tuple) -> re.Pattern | None:
    return _pattern(_keys(names))


def _found(pattern: re.Pattern | None, text: object) -> set[str]:
    if pattern is None or not isinstance(text, str) or not text:
        return set()
    return set(pattern.findall(key(text)))


def named(text: object, names: Iterable[str]) -> set[str]:
    """The keys of the names from `names` that `text` names as whole names, longest first."""
    return _found(_compiled(names if isinstance(names, tuple) else tuple(names)), text)


def namer(names: Iterable[str]) -> Callable[[object], set[str]]:
    """`named` with the names fixed, for many texts (the pattern is found once, not per text:
    thousands of 社会資源 names per plan row made a count quadratic)."""
    pattern = _compiled(tuple(names))
    return lambda text: _found(pattern, text)


def names_agency(text: object, agency: str | None, names: Iterable[str]) -> bool:
    """Whether `text` names `agency` (itself added to the known `names`)."""
    if not agency:
        return False
    return key(agency) in named(text, [*names, agency])


class Directory:
    """The 機関 tab by agency: any spelling of a name finds its row."""

    def __init__(self, agencies):
        self._rows = {}
        for row in agencies.to_dict("records"):
            self._rows.setdefault(key(row["機関名"]), row)

    def row(self, agency: object) -> dict | None:
        return self._rows.get(key(agency)) if key(agency) else None

    def known(self, agency: object) -> bool:
        return self.row(agency) is not None

    def spelling(self, agency: str) -> str:
        """The name as the 機関 tab writes it (as given when the tab does not have it)."""
        row = self.row(agency)
        return row["機関名"] if row is not None else agency

    def mail(self, agency: object) -> str | None:
        row = self.row(agency)
        address = row.get("メール") if row is not None else None
        return address.strip() if isinstance(address, str) and address.strip() else None

    def fields(self, agency: object) -> str:
        """分野 as printed on the papers (「高齢、障がい」)."""
        row = self.row(agency)
        return "、".join(row.get("分野") or ()) if row is not None else ""


def directory(workbook) -> Directory:
    """The 機関 tab of this workbook as a Directory."""
    return Directory(workbook[schema.AGENCIES])


def members(workbook) -> list[str]:
    """The 支援会議構成員 agencies, in the 機関 tab's order: 支援会議構成員 はい, and never a tax
    office (所管課 税務…: tax information is not shared in 支援会議; データ点検 warns)."""
    from lib.workbook.validate import tax_office
    agencies = workbook[schema.AGENCIES]
    return [name for name, flag, department in zip(agencies["機関名"], agencies["支援会議構成員"], agencies["所管課"])
            if flag == "はい" and not tax_office(department)]


def is_member(workbook, agency: str | None) -> bool:
    """Whether an agency is a 支援会議構成員 (see `members`)."""
    return bool(key(agency)) and key(agency) in {key(a) for a in members(workbook)}


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
        own = people[people["機関名"].map(key) == key(agency)]
        if own.empty:
            rows.append({**base, "氏名": "（名簿に記載なし）", "役職": "", "守秘義務確認日": None})
        for person in own.to_dict("records"):
            day = person["守秘義務確認日"]
            rows.append({**base, "氏名": person["氏名"], "役職": person["役職"] or "",
                         "守秘義務確認日": None if pd.isna(day) else pd.Timestamp(day).date()})
    return pd.DataFrame(rows, columns=columns)
