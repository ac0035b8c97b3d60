"""Parse one raw cell as staff type it (和暦, full-width digits, list cells …) into a typed value.

Every parser takes what a backend handed over (str, int, float, bool, date, datetime, time or
None) and returns the typed value, None for a blank cell, or raises CellError whose message
tells a person what to type instead.
"""
from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata

# Excel and Google Sheets count serial dates from this day (1900 leap-year bug included).
SERIAL_EPOCH = dt.date(1899, 12, 30)
# Serial numbers outside this range are not taken as dates (1927-05-18 … 2173-10-14).
SERIAL_RANGE = (10_000, 100_000)

# Era name (and its one-letter form) → first day of the era. 元年 = year 1.
ERAS = {
    "令和": dt.date(2019, 5, 1), "R": dt.date(2019, 5, 1),
    "平成": dt.date(1989, 1, 8), "H": dt.date(1989, 1, 8),
    "昭和": dt.date(1926, 12, 25), "S": dt.date(1926, 12, 25),
    "大正": dt.date(1912, 7, 30), "T": dt.date(1912, 7, 30),
}
# List cells are split on these (after NFKC, ， becomes , and ／ becomes /).
LIST_SEPARATORS = re.compile(r"[、,・/\n;；]+")

_SEP = r"\s*[年./\-]\s*"
_WAREKI = re.compile(
    r"^(令和|平成|昭和|大正|[RHST])\s*(元|\d{1,2})" + _SEP + r"(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*日?$")
_SEIREKI = re.compile(r"^(\d{4})" + _SEP + r"(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*日?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
# "2025/4/1(火)", "2025-04-01 00:00:00", "R7.4.1（火）": the part after the date is dropped.
_WEEKDAY_SUFFIX = re.compile(r"\s*\(\s*[月火水木金土日]\s*(曜日?)?\s*\)\s*$")
_TIME_SUFFIX = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
_CLOCK = re.compile(r"^(午前|午後|AM|PM)?\s*(\d{1,2})\s*(?::|時)\s*(\d{1,2})?\s*分?(?::\d{2})?$", re.I)
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


class CellError(ValueError):
    """A cell value that cannot be used; the message says what to type instead."""


def nfkc(value: object) -> str:
    """Text form of a cell: NFKC (full-width → half-width digits/letters), trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


_SPACES = re.compile(r"\s+")


def name_key(value: object) -> str:
    """A name as compared (agencies): the same name whatever the width of its letters and brackets
    and whatever spaces were typed — 「支援員（社協）」「支援員(社協)」「支援員 (社協)」 are one."""
    return _SPACES.sub("", nfkc(value))


def is_blank(value: object) -> bool:
    """True for an empty cell: None, NaN, or only spaces (full-width spaces included)."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def parse_text(value: object) -> str | None:
    """Free text: kept as typed, only trimmed; numbers shown without a trailing .0."""
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value).strip()


def parse_id(value: object) -> str | None:
    """An identifier: NFKC and trimmed; a number 7.0 from a backend becomes "7" (never 7.0)."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CellError("IDに TRUE/FALSE は使えません")
    return nfkc(value)


def _serial_to_date(number: float) -> dt.date:
    lo, hi = SERIAL_RANGE
    if not lo <= number < hi:
        raise CellError(f"日付として読めない数です（{number:g}）。例: 2025/4/1 または 令和7年4月1日")
    return SERIAL_EPOCH + dt.timedelta(days=int(number))


def parse_date(value: object) -> dt.date | None:
    """A date typed as 和暦, 西暦, yyyymmdd, an Excel/Sheets serial number, or a real date cell."""
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise CellError("日付を入れてください。例: 2025/4/1 または 令和7年4月1日")
    if isinstance(value, (int, float)):
        return _serial_to_date(float(value))
    text = nfkc(value)
    text = _WEEKDAY_SUFFIX.sub("", text)
    text = _TIME_SUFFIX.sub("", text).strip()
    if _NUMBER.match(text) and "." not in text and len(text) != 8:
        return _serial_to_date(float(text))
    if m := _WAREKI.match(text.upper() if text[:1].isascii() else text):
        era, year, month, day = m.groups()
        start = ERAS[era]
        year = start.year + (1 if year == "元" else int(year)) - 1
        result = _make_date(year, int(month), int(day), text)
        if result < start:
            raise CellError(f"{text} はその元号が始まる前の日付です（{era}は{start:%Y年%-m月%-d日}から）")
        return result
    if m := (_SEIREKI.match(text) or _COMPACT.match(text)):
        return _make_date(*(int(g) for g in m.groups()), text)
    raise CellError("日付として読めません。例: 2025/4/1、2025-04-01、令和7年4月1日、R7.4.1")


def _make_date(year: int, month: int, day: int, text: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise CellError(f"{text} という日はありません（月・日を確かめてください）") from None


def as_date(value) -> dt.date | None:
    """A value from a typed table (date, Timestamp, NaT, None) as a plain date, or None."""
    import pandas as pd
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def as_dates(column) -> list[dt.date | None]:
    """as_date for a whole column of a typed table (its datetime64 column read at once)."""
    import pandas as pd
    series = column if isinstance(column, pd.Series) else pd.Series(list(column), dtype=object)
    if not pd.api.types.is_datetime64_any_dtype(series):
        return [as_date(v) for v in series]
    return [None if d is pd.NaT else d for d in series.dt.date]


def parse_time(value: object) -> dt.time | None:
    """A time of day: 13:30, 13時30分, 午後1時, a real time cell or a day fraction (0.5625)."""
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.time().replace(second=0, microsecond=0)
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1:
        minutes = round(float(value) * 24 * 60)
        return dt.time(minutes // 60, minutes % 60)
    text = nfkc(value)
    m = _CLOCK.match(text)
    if not m:
        raise CellError("時刻として読めません。例: 13:30 または 13時30分")
    half, hour, minute = m.group(1), int(m.group(2)), int(m.group(3) or 0)
    if half and half.upper() in ("午後", "PM") and hour < 12:
        hour += 12
    if hour > 23 or minute > 59:
        raise CellError(f"{text} という時刻はありません")
    return dt.time(hour, minute)


def parse_number(value: object) -> float | None:
    """A number: full-width digits, thousands separators, a trailing unit (歳, 人, %) allowed."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CellError("数字を入れてください")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isnan(value):
            return None
        return float(value)
    text = nfkc(value).replace(",", "")
    text = re.sub(r"\s*(歳|才|人|世帯|件|回|か所|箇所|%|％)$", "", text)
    if not _NUMBER.match(text):
        raise CellError("数字として読めません")
    return float(text)


def parse_int(value: object) -> int | None:
    """A whole number (年齢, 人口, 年度): 令和7年度 is read as 2025."""
    if not is_blank(value) and isinstance(value, str):
        text = nfkc(value)
        if m := re.match(r"^(令和|平成|R|H)\s*(元|\d{1,2})\s*年度?$", text, re.I):
            era = {"R": "令和", "H": "平成"}.get(m.group(1).upper(), m.group(1))
            return ERAS[era].year + (1 if m.group(2) == "元" else int(m.group(2))) - 1
        value = re.sub(r"年度$", "", text)
    number = parse_number(value)
    if number is None:
        return None
    if not float(number).is_integer():
        raise CellError(f"整数を入れてください（{number:g}）")
    return int(number)


# What staff write for はい／いいえ in a yes/no column (README says which words):
YES_WORDS = ("はい", "○", "◯", "〇", "有", "あり", "可", "yes", "y")
NO_WORDS = ("いいえ", "×", "✕", "x", "無", "なし", "不可", "no", "n")


def parse_enum(value: object, allowed: tuple[str, ...]) -> str | None:
    """One of a fixed list of words, compared after NFKC and without spaces; in a はい／いいえ column
    also ○・◯・有・あり・可 for はい and ×・無・なし・不可 for いいえ."""
    if is_blank(value):
        return None
    text = "".join(nfkc(value).split())
    for word in allowed:
        if text == word:
            return word
    if set(allowed) == {"はい", "いいえ"}:
        if text.lower() in YES_WORDS:
            return "はい"
        if text.lower() in NO_WORDS:
            return "いいえ"
    raise CellError("次のどれかを入れてください: " + "／".join(allowed))


def parse_list(value: object) -> list[str]:
    """A list cell split on 、 , ， ・ / ／ ; and line breaks; empty parts dropped, order kept."""
    if is_blank(value):
        return []
    parts = (p.strip() for p in LIST_SEPARATORS.split(nfkc(value)))
    seen: list[str] = []
    for part in parts:
        if part and part not in seen:
            seen.append(part)
    return seen


WEEKDAYS = "月火水木金土日"


def to_wareki(day: dt.date, weekday: bool = False) -> str:
    """2026-11-25 → 令和8年11月25日 (with （水） when `weekday`); 元年 for year 1."""
    for era in ("令和", "平成", "昭和", "大正"):
        start = ERAS[era]
        if day >= start:
            year = day.year - start.year + 1
            text = f"{era}{'元' if year == 1 else year}年{day.month}月{day.day}日"
            return text + (f"（{WEEKDAYS[day.weekday()]}）" if weekday else "")
    return f"{day.year}年{day.month}月{day.day}日"


# How dates are shown (the date_style setting): 和暦 by default, or 西暦.
WAREKI, SEIREKI = "和暦", "西暦"
ERA_LETTERS = {"令和": "R", "平成": "H", "昭和": "S", "大正": "T"}


def show_date(value, style: str = WAREKI, short: bool = True) -> str:
    """A date as the town writes it: R8.11.25 / 令和8年11月25日 (和暦), 2026/11/25 / 2026年11月25日
    (西暦); "" for a blank (None, NaT)."""
    day = as_date(value)
    if day is None:
        return ""
    if style == SEIREKI:
        return f"{day.year}/{day.month}/{day.day}" if short else f"{day.year}年{day.month}月{day.day}日"
    long = to_wareki(day)
    if not short:
        return long
    for era, letter in ERA_LETTERS.items():
        if long.startswith(era):
            year = long[len(era):long.index("年")]
            return f"{letter}{1 if year == '元' else year}.{day.month}.{day.day}"
    return f"{day.year}/{day.month}/{day.day}"


def show_dates(frame, style: str = WAREKI):
    """A copy of a table for people to read: date columns as text in `style`, blank text cells empty."""
    import pandas as pd
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_datetime64_any_dtype(series) or (
                series.dtype == object and len(series) and all(isinstance(v, dt.date) or v is None
                                                               or (isinstance(v, float) and v != v) for v in series)
                and any(isinstance(v, dt.date) for v in series)):
            out[column] = [show_date(v, style) for v in series]
        elif series.dtype == object:
            out[column] = ["" if v is None or (isinstance(v, float) and v != v) else v for v in series]
    return out


def fiscal_year(day: dt.date) -> int:
    """Japanese fiscal year (年度) of a date: April to March (2026-03-31 → 2025)."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_range(year: int) -> tuple[dt.date, dt.date]:
    """First and last day of a fiscal year: 2025 → 2025-04-01 … 2026-03-31."""
    return dt.date(year, 4, 1), dt.date(year + 1, 3, 31)


def fiscal_label(year: int) -> str:
    """2025 → 令和7年度（2025年度）; 2019 → 令和元年度 (the era in force when the year ends,
    as towns write it); 1988 → 昭和63年度 (an era is never given a year 0)."""
    end = fiscal_range(year)[1]
    for era in ("令和", "平成", "昭和", "大正"):
        number = year - ERAS[era].year + 1
        if end >= ERAS[era] and number >= 1:
            return f"{era}{'元' if number == 1 else number}年度（{year}年度）"
    return f"{year}年度"
