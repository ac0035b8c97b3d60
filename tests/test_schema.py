"""The schema table: header matching and the sheet guide."""
import pytest

from lib.workbook import schema


@pytest.mark.parametrize("header, expected", [
    ("世帯ID", "世帯ID"), ("世帯ＩＤ", "世帯ID"), ("世帯id", "世帯ID"), (" 世帯 ID ", "世帯ID"),
    ("世帯番号", "世帯ID"), ("ステージ", "段階"), ("本人同意", "同意"), ("次回見直し", "次回見直し日"),
    ("独自の欄", None), ("", None), (None, None),
])
def test_household_headers_match_names_and_aliases(header, expected):
    col = schema.column_for_header(schema.TABS_BY_NAME["世帯"], header)
    assert (col.name if col else None) == expected


def test_aliases_never_collide_within_a_tab():
    for tab in schema.TABS:
        keys = [schema.header_key(n) for c in tab.columns for n in (c.name, *c.aliases)]
        assert len(keys) == len(set(keys)), tab.name


def test_every_reference_points_at_a_real_column():
    for tab in schema.TABS:
        for col in tab.columns:
            if col.references:
                target, column = col.references.split(".")
                assert column in schema.TABS_BY_NAME[target].column_names


def test_only_the_household_tab_is_required():
    assert [t.name for t in schema.TABS if t.required] == ["世帯"]


def test_guide_lists_every_column_with_allowed_values():
    rows = schema.guide_rows(schema.TABS_BY_NAME["世帯"])
    assert [r["列"] for r in rows] == schema.TABS_BY_NAME["世帯"].column_names
    consent = next(r for r in rows if r["列"] == "同意")
    assert consent == {"列": "同意", "必須": "必須", "種類": "選択", "入れる値": "あり／なし／不明",
                       "別の見出しでも可": "本人同意、同意の有無"}


def test_free_text_columns_are_the_personal_notes():
    assert schema.free_text_columns("世帯") == ["備考"]
    assert schema.free_text_columns("経過記録") == ["内容"]
    assert "決定事項" in schema.free_text_columns("会議")
