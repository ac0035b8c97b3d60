"""Table-driven checks of every parsing rule: raw sheet value → typed value or error."""
import datetime as dt

import pytest

from lib.workbook import cells

D = dt.date


@pytest.mark.parametrize("raw, expected", [
    # 和暦, full and short forms
    ("令和7年4月1日", D(2025, 4, 1)),
    ("令和 7 年 4 月 1 日", D(2025, 4, 1)),
    ("R7.4.1", D(2025, 4, 1)),
    ("R7/4/1", D(2025, 4, 1)),
    ("r7-4-1", D(2025, 4, 1)),
    ("Ｒ７．４．１", D(2025, 4, 1)),
    ("令和元年5月1日", D(2019, 5, 1)),
    ("令和元年12月31日", D(2019, 12, 31)),
    ("㋿7年4月1日", D(2025, 4, 1)),
    ("平成31年4月30日", D(2019, 4, 30)),
    ("H30.3.31", D(2018, 3, 31)),
    ("平成元年1月8日", D(1989, 1, 8)),
    ("昭和60年10月5日", D(1985, 10, 5)),
    ("S60.10.5", D(1985, 10, 5)),
    ("大正15年12月24日", D(1926, 12, 24)),
    # 西暦
    ("2025/4/1", D(2025, 4, 1)),
    ("2025-04-01", D(2025, 4, 1)),
    ("2025年4月1日", D(2025, 4, 1)),
    ("2025.4.1", D(2025, 4, 1)),
    ("２０２５／０４／０１", D(2025, 4, 1)),
    ("2025/4/1(火)", D(2025, 4, 1)),
    ("令和7年4月1日（火）", D(2025, 4, 1)),
    ("2025-04-01 00:00:00", D(2025, 4, 1)),
    ("2025-04-01T09:30", D(2025, 4, 1)),
    ("20250401", D(2025, 4, 1)),
    ("  2025/4/1　", D(2025, 4, 1)),
    # serial numbers (Excel / Sheets) and real date cells
    (45748, D(2025, 4, 1)),
    (45748.0, D(2025, 4, 1)),
    (45748.75, D(2025, 4, 1)),
    ("45748", D(2025, 4, 1)),
    (D(2025, 4, 1), D(2025, 4, 1)),
    (dt.datetime(2025, 4, 1, 15, 0), D(2025, 4, 1)),
    # blanks
    (None, None), ("", None), ("　", None), (float("nan"), None),
])
def test_date_forms_parse(raw, expected):
    assert cells.parse_date(raw) == expected


@pytest.mark.parametrize("raw, message_part", [
    ("2025/2/30", "という日はありません"),
    ("令和7年13月1日", "という日はありません"),
    ("令和元年4月1日", "元号が始まる前"),
    ("平成1年1月7日", "元号が始まる前"),
    ("来週", "日付として読めません"),
    ("令和7年4月", "日付として読めません"),
    ("4/1", "日付として読めません"),
    (3, "日付として読めない数"),
    (True, "日付を入れてください"),
    ("2025/4/1/2", "日付として読めません"),
])
def test_unreadable_dates_say_what_to_type(raw, message_part):
    with pytest.raises(cells.CellError, match=message_part):
        cells.parse_date(raw)


@pytest.mark.parametrize("raw, expected", [
    ("13:30", dt.time(13, 30)), ("１３：３０", dt.time(13, 30)), ("13時30分", dt.time(13, 30)),
    ("13時", dt.time(13, 0)), ("午後1時30分", dt.time(13, 30)), ("午前9時", dt.time(9, 0)),
    ("9:05:00", dt.time(9, 5)), (0.5625, dt.time(13, 30)), (dt.time(10, 0, 30), dt.time(10, 0)),
    (dt.datetime(1899, 12, 30, 15, 0), dt.time(15, 0)), ("", None),
])
def test_time_forms_parse(raw, expected):
    assert cells.parse_time(raw) == expected


@pytest.mark.parametrize("raw", ["25:00", "13:75", "昼過ぎ", "1.5"])
def test_unreadable_times_are_errors(raw):
    with pytest.raises(cells.CellError):
        cells.parse_time(raw)


@pytest.mark.parametrize("raw, expected", [
    ("82", 82), ("８２", 82), ("82歳", 82), ("８２才", 82), (82.0, 82), (" 82 ", 82),
    ("1,234", 1234), ("1,234人", 1234), ("令和7年度", 2025), ("R7年度", 2025), ("2025年度", 2025),
    ("平成31年度", 2019), ("令和元年度", 2019), ("", None), (None, None),
])
def test_whole_numbers_parse(raw, expected):
    assert cells.parse_int(raw) == expected


@pytest.mark.parametrize("raw, message_part", [
    ("50代", "数字として読めません"), ("8.5", "整数を入れてください"), (True, "数字を入れてください"),
    ("八十", "数字として読めません"),
])
def test_bad_whole_numbers_are_errors(raw, message_part):
    with pytest.raises(cells.CellError, match=message_part):
        cells.parse_int(raw)


@pytest.mark.parametrize("raw, expected", [
    ("35.123", 35.123), ("３５．１２３", 35.123), (35.123, 35.123), ("38.5%", 38.5), ("38.5％", 38.5),
    ("-1.5", -1.5), ("", None),
])
def test_decimal_numbers_parse(raw, expected):
    assert cells.parse_number(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("あり", "あり"), (" あり ", "あり"), ("あ り", "あり"), ("不明", "不明"), ("", None), (None, None),
])
def test_enum_accepts_exact_words_after_normalising(raw, expected):
    assert cells.parse_enum(raw, ("あり", "なし", "不明")) == expected


@pytest.mark.parametrize("raw", ["有", "はい", "同意あり", "ｱﾘ?"])
def test_enum_rejects_other_words_and_lists_the_allowed_ones(raw):
    with pytest.raises(cells.CellError, match="あり／なし／不明"):
        cells.parse_enum(raw, ("あり", "なし", "不明"))


def test_enum_reads_half_width_katakana_as_full_width():
    assert cells.parse_enum("ｱｾｽﾒﾝﾄ", ("アセスメント",)) == "アセスメント"


@pytest.mark.parametrize("raw, expected", [
    ("8050、ひきこもり", ["8050", "ひきこもり"]),
    ("8050,ひきこもり", ["8050", "ひきこもり"]),
    ("8050，ひきこもり", ["8050", "ひきこもり"]),
    ("ダブルケア・生活困窮", ["ダブルケア", "生活困窮"]),
    ("DV/虐待", ["DV", "虐待"]),
    ("ＤＶ／虐待", ["DV", "虐待"]),
    ("不登校\nヤングケアラー", ["不登校", "ヤングケアラー"]),
    ("8050、、 ひきこもり 、", ["8050", "ひきこもり"]),
    ("8050、8050", ["8050"]),
    ("H-001、H-002", ["H-001", "H-002"]),
    (8050, ["8050"]),
    ("", []), (None, []),
])
def test_list_cells_split_on_every_separator(raw, expected):
    assert cells.parse_list(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("007", "007"), ("００７", "007"), ("Ｈ－００１", "H-001"), (7.0, "7"), (7, "7"), (" H-1 ", "H-1"),
    ("", None),
])
def test_ids_are_text_and_keep_leading_zeros(raw, expected):
    assert cells.parse_id(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("山田世帯", "山田世帯"), ("  山田世帯 ", "山田世帯"), (12.0, "12"), ("①②", "①②"), ("", None),
])
def test_free_text_is_kept_as_typed(raw, expected):
    assert cells.parse_text(raw) == expected


@pytest.mark.parametrize("value, style, short, shown", [
    (dt.date(2026, 11, 25), "和暦", True, "R8.11.25"),
    (dt.date(2026, 11, 25), "和暦", False, "令和8年11月25日"),
    (dt.date(2019, 5, 1), "和暦", True, "R1.5.1"),
    (dt.date(2019, 5, 1), "和暦", False, "令和元年5月1日"),
    (dt.date(2019, 4, 30), "和暦", True, "H31.4.30"),
    (dt.date(2026, 11, 25), "西暦", True, "2026/11/25"),
    (dt.date(2026, 11, 25), "西暦", False, "2026年11月25日"),
    (None, "和暦", True, ""),
])
def test_dates_show_in_wareki_by_default(value, style, short, shown):
    from lib.workbook.cells import show_date
    assert show_date(value, style, short) == shown


def test_show_dates_converts_only_date_columns():
    import pandas as pd
    from lib.workbook.cells import show_dates
    frame = pd.DataFrame({"日付": pd.to_datetime(["2026-11-25", None]), "件数": [1, 2], "名前": ["a", "b"]})
    assert show_dates(frame).to_dict("list") == {"日付": ["R8.11.25", ""], "件数": [1, 2], "名前": ["a", "b"]}


@pytest.mark.parametrize("typed, read", [
    ("はい", "はい"), ("いいえ", "いいえ"), ("○", "はい"), ("◯", "はい"), ("〇", "はい"), ("有", "はい"), ("可", "はい"),
    ("×", "いいえ"), ("無", "いいえ"), ("不可", "いいえ"), ("ｙｅｓ", "はい"), (" NO ", "いいえ"),
])
def test_yes_no_columns_read_the_words_offices_use(typed, read):
    from lib.workbook.cells import parse_enum
    assert parse_enum(typed, ("はい", "いいえ")) == read


def test_other_choice_columns_do_not_take_yes_no_words():
    from lib.workbook.cells import CellError, parse_enum
    with pytest.raises(CellError):
        parse_enum("○", ("あり", "なし", "不明"))
