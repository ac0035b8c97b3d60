"""Build the bad-input fixture: a workbook with every kind of problem at a known row.

    python -m tests.make_bad_workbook /tmp/bad.xlsx

tests/test_validate.py asserts the exact problems reported for it.
"""
from __future__ import annotations

import sys
from pathlib import Path

SCRIPT_NAME = "<script>alert(1)</script>"

TABS: dict[str, list[list]] = {
    "世帯": [
        ["世帯ＩＤ", "表示名", "地区", "課題", "同意", "段階", "主担当機関", "担当者", "受付日",
         "次回見直し日", "最終接触日", "緊急度", "終結日", "備考", "独自メモ", "表示名"],
        ["H-001", "青木世帯", "中央", "8050、ひきこもり", "あり", "支援中", "", "森田", "令和7年4月1日",
         "R8.1.10", "2025/10/1", "高", "", "夜間の連絡は避ける", "町独自の欄", "重複見出し"],  # 2
        [],                                                                                   # 3 blank
        ["Ｈ－００２", "秋山世帯", "中央", "ダブルケア・生活困窮", "あり", "アセスメント", "", "", 45748,
         "", "", "中", "", "", "", ""],                                                         # 4
        ["H-003", "浅野世帯", "中央", "", "あり", "受付", "", "", "2025/13/40"],                 # 5 bad required date
        ["H-001", "荒井世帯", "中央", "", "あり", "受付", "", "", "2025/4/2"],                   # 6 duplicate ID
        ["H-005", "", "中央", "", "あり", "受付", "", "", "2025/4/3"],                           # 7 blank 表示名
        ["H-006", "飯田世帯", "中央", "", "有", "受付", "", "", "2025/4/4"],                     # 8 bad 同意
        ["H-007", "池田世帯", "中央", "", "あり", "支援中", "", "", "2025/4/5", "来週"],          # 9 bad optional date
        ["H-008", "石川世帯", "中央", "", "あり", "受付", "", "", "2025/4/6", "", "", "最優先"],  # 10 bad optional enum
        ["H-009", "泉世帯", "中央", "", "なし", "支援中", "", "", "2025/4/7"],                   # 11 no consent + plan stage
        ["H-010", "市川世帯", "中央", "", "あり", "終結", "", "", "2025/4/8"],                   # 12 終結 without 終結日
        ["H-011", "井上世帯", "中央", "8050、ゴミ屋敷", "あり", "受付", "", "", "2025/4/9"],     # 13 unknown 課題
        ["H-012", "岩崎世帯", "北区", "", "不明", "見守り", "", "", "2025/4/10"],               # 14 unknown 地区
        ["H-013", SCRIPT_NAME, "中央", "", "あり", "受付", "", "", "R7.4.1"],                    # 15 HTML in a name
        ["H-014", "上田世帯", "中央", "", "あり", "受付", "", "", "令和元年4月1日"],             # 16 before the era
    ],
    "世帯員": [
        ["世帯ID", "記号", "続柄", "年齢", "分野", "状況"],
        ["H-001", "A氏", "母", "８２歳", "高齢", "要介護1"],       # 2 ok (full-width age)
        ["H-001", "B氏", "長男", "50代", "障がい", ""],            # 3 bad optional int
        ["H-999", "A氏", "本人", 40, "", ""],                      # 4 unknown household
        ["H-003", "A氏", "本人", 40, "", ""],                      # 5 household whose row is unusable
        ["H-001", "A氏", "父", 85, "", ""],                        # 6 duplicate (世帯ID, 記号)
        ["H-002", "A氏", "本人", 150, "子ども", ""],               # 7 age out of range
    ],
    "支援プラン": [
        ["世帯ID", "目標", "状況"],                                # 対象 column missing
        ["H-001", "在宅生活を続ける", "実施中"],
        ["H-002", "家計を立て直す", "未着手"],
    ],
    "会議": [
        ["会議ID", "種別", "開催日", "開始", "終了", "対象世帯"],
        ["M-1", "支援会議", "2025/5/1", "13:30", "15:00", "H-012、H-404"],   # 2 unknown household in list
        ["M-2", "重層的支援会議", "R7/5/15", "15時", "14時", "H-001"],       # 3 end before start
        ["M-3", "ケース会議", "2025/5/20", "", "", ""],                      # 4 unknown 種別
    ],
    "経過記録": [
        ["日付", "世帯ID", "方法", "内容"],
        ["2025-06-01", "H-001", "訪問", "本人と面会"],             # 2 ok
        ["2025.6.2", "H-002", "ＦＡＸ", "資料を送付"],             # 3 unknown 方法
        ["", "H-001", "電話", "日付なし"],                         # 4 blank required date
    ],
    "社会資源": [
        ["資源ID", "名称", "種別", "緯度", "経度"],
        ["R-1", "中央サロン", "サロン", 35.04, 134.0],            # 2 ok
        ["R-2", "北の居場所", "居場所", 134.0, 35.04],            # 3 latitude out of range (swapped)
        ["R-3", "東の窓口", "相談窓口", 35.0, ""],                # 4 only one coordinate
        ["R-4", "南の食堂", "子ども食堂", -35.0, 134.0],          # 5 outside Japan
    ],
    "地区": [
        ["地区名", "緯度", "経度"],
        ["中央", 35.04, 134.0],
    ],
    "メモ": [["町のメモ"], ["このタブは使わない"]],
}


def build(path: str | Path) -> Path:
    """Write the fixture workbook to `path`."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, rows in TABS.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path = Path(path)
    book.save(path)
    return path


if __name__ == "__main__":
    print(build(sys.argv[1] if len(sys.argv) > 1 else "bad_workbook.xlsx"))
