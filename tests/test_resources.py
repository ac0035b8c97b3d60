"""社会資源: coverage and gap sentences, the 課題 → 種別 mapping, distance ordering of suggestions,
and resources that cannot go on the map listed with their reason."""
import pandas as pd
import pytest

from lib.casework import charts, resources
from lib.workbook import schema
from lib.casework.resources import ResourceFilters
from lib.workbook.validate import validate

RES = ["資源ID", "名称", "種別", "分野", "地区", "緯度", "経度", "受入可"]


def town(*rows, areas=(("中央", 35.00, 134.00, 6000, 30.0), ("東部", 35.00, 134.10, 2000, 45.0))):
    return validate({
        "世帯": [["世帯ID", "表示名", "地区", "課題", "同意", "段階", "受付日"],
                ["H-1", "a", "東部", "ひきこもり、生活困窮", "あり", "支援中", "2025/4/1"],
                ["H-2", "b", "中央", "", "あり", "終結", "2025/4/1"]],
        "世帯員": [["世帯ID", "記号", "分野"], ["H-1", "A氏", "高齢"], ["H-1", "B氏", "障がい"]],
        "社会資源": [RES, *rows],
        "地区": [["地区名", "緯度", "経度", "人口", "高齢化率"], *[list(a) for a in areas]]})


def test_coverage_counts_every_area_and_kind():
    workbook = town(["R-1", "中央サロン", "サロン", "高齢", "中央", 35.0, 134.0, "はい"],
                    ["R-2", "中央窓口", "相談窓口", "", "中央", 35.0, 134.0, "はい"],
                    ["R-3", "東サロン", "サロン", "高齢", "東部", 35.0, 134.1, "いいえ"])
    table = resources.coverage(workbook).set_index("地区")
    assert list(table.index) == ["中央", "東部"]
    assert table.loc["中央", ["相談窓口", "サロン", "居場所", "合計"]].tolist() == [1, 1, 0, 2]
    assert table.loc["東部", ["相談窓口", "サロン", "合計"]].tolist() == [0, 1, 1]
    assert "その他" not in table.columns


def test_gap_sentences_for_the_regular_meeting():
    workbook = town(["R-1", "中央サロン", "サロン", "高齢", "中央", 35.0, 134.0, "はい"],
                    ["R-3", "東サロン", "サロン", "高齢", "東部", 35.0, 134.1, "いいえ"])
    assert resources.gap_summary(workbook, kinds=("相談窓口", "サロン")) == [
        "中央には相談窓口がありません", "東部には相談窓口がありません", "町全体で、いま受け入れのできる相談窓口がありません"]


def test_resources_per_thousand_residents():
    workbook = town(["R-1", "中央サロン", "サロン", "高齢", "中央", 35.0, 134.0, "はい"],
                    ["R-2", "中央窓口", "相談窓口", "", "中央", 35.0, 134.0, "はい"],
                    ["R-3", "中央通い", "通いの場", "", "中央", 35.0, 134.0, "はい"])
    row = resources.per_capita(workbook).set_index("地区").loc["中央"]
    assert row["65歳以上（推計）"] == 1800
    assert row["資源／千人"] == 0.5                      # 3 / 6000 × 1000
    assert row["サロン・通いの場／65歳以上千人"] == 1.11   # 2 / 1800 × 1000


def test_unmappable_resources_are_listed_with_their_reason():
    workbook = town(["R-1", "ok", "サロン", "", "中央", 35.0, 134.0, "はい"],
                    ["R-2", "no coords", "サロン", "", "中央", "", "", "はい"],
                    ["R-3", "half", "サロン", "", "中央", 35.0, "", "はい"],
                    ["R-4", "bad", "サロン", "", "中央", "北緯35度", "東経134度", "はい"],
                    ["R-5", "far", "サロン", "", "中央", 43.06, 141.35, "はい"])
    shown, unusable = resources.locate(workbook)
    assert list(shown["資源ID"]) == ["R-1"]
    assert dict(zip(unusable["資源ID"], unusable["理由"])) == {
        "R-2": "緯度・経度が入っていません", "R-3": "緯度と経度の片方しかありません",
        "R-4": "緯度・経度が読めません（データ点検を見てください）",
        "R-5": "町から30km以上離れた位置です（入力ミスの可能性）"}


def test_issue_mapping_is_data_with_known_words():
    assert resources.ISSUE_KINDS["ひきこもり"] == ("居場所", "家族会", "地域活動支援センター")
    assert resources.ISSUE_KINDS["ヤングケアラー"] == ("子ども食堂", "居場所", "子育て支援拠点")
    assert resources.ISSUE_KINDS["社会的孤立"] == ("サロン", "通いの場", "居場所", "ボランティア")
    assert resources.ISSUE_KINDS["生活困窮"] == ("相談窓口", "就労体験", "子ども食堂")
    for issue, kinds in resources.ISSUE_KINDS.items():
        assert issue in schema.ISSUES and set(kinds) <= set(schema.RESOURCE_KINDS)
    assert set(resources.KIND_COLOURS) == set(schema.RESOURCE_KINDS)


@pytest.mark.parametrize("lat1, lon1, lat2, lon2, km", [(35.0, 134.0, 35.0, 134.0, 0.0), (35.0, 134.0, 36.0, 134.0, 111.2),
                                                        (35.0, 134.0, 35.0, 134.1, 9.1)])
def test_distance(lat1, lon1, lat2, lon2, km):
    assert round(resources.distance_km(lat1, lon1, lat2, lon2), 1) == km


def test_suggestions_same_area_first_then_nearest_with_reasons():
    workbook = town(
        ["R-1", "東の居場所", "居場所", "", "東部", 35.0, 134.12, "はい"],
        ["R-2", "東の窓口", "相談窓口", "", "東部", 35.0, 134.101, "はい"],
        ["R-3", "中央の就労体験", "就労体験", "", "中央", 35.0, 134.05, "はい"],
        ["R-4", "中央の家族会", "家族会", "", "中央", 35.0, 134.00, "はい"],
        ["R-5", "東の家族会（満員）", "家族会", "", "東部", 35.0, 134.1, "いいえ"],
        ["R-6", "中央の子育て", "子育て支援拠点", "子ども", "中央", 35.0, 134.0, "はい"],   # fits nothing
        ["R-7", "中央の百歳体操", "通いの場", "高齢", "中央", 35.0, 134.06, "はい"])       # fits a member's 分野
    suggestions = resources.suggest(workbook, "H-1")
    assert [s.resource_id for s in suggestions] == ["R-2", "R-1", "R-7", "R-3", "R-4"]
    assert suggestions[0].reasons == ("同じ地区（東部）", "課題「生活困窮」に合う種別（相談窓口）", "地区の中心から約0.1km")
    assert suggestions[2].reasons == ("世帯員の分野（高齢）に対応", "地区の中心から約3.6km")
    widened = [s.resource_id for s in resources.suggest(workbook, "H-1", widen=True)]
    assert widened[:3] == ["R-5", "R-2", "R-1"]
    assert resources.suggest(workbook, "H-1", widen=True)[0].reasons[-1] == "受入可ではありません（確認が必要）"


def test_filters():
    workbook = town(["R-1", "a", "サロン", "高齢", "中央", 35.0, 134.0, "はい"],
                    ["R-2", "b", "居場所", "障がい、子ども", "東部", 35.0, 134.1, "いいえ"])
    res = workbook["社会資源"]
    pick = lambda **kw: list(resources.filter_resources(res, ResourceFilters(**kw))["資源ID"])  # noqa: E731
    assert pick() == ["R-1", "R-2"]
    assert pick(kinds=("居場所",)) == ["R-2"]
    assert pick(fields=("子ども", "高齢")) == ["R-1", "R-2"]
    assert pick(areas=("中央",)) == ["R-1"]
    assert pick(accepting_only=True) == ["R-1"]


def test_map_spec_needs_no_tiles():
    workbook = town(["R-1", "<b>a</b>", "サロン", "高齢", "中央", 35.0, 134.0, "はい"])
    shown, _ = resources.locate(workbook)
    spec = charts.resource_map(shown, workbook["地区"][["地区名", "緯度", "経度"]]).to_dict()
    assert spec["projection"]["type"] == "mercator"
    text = str({k: v for k, v in spec.items() if k != "$schema"})
    assert "http" not in text and "tile" not in text     # nothing to fetch: no basemap, no remote data
    empty = charts.resource_map(shown.iloc[0:0], workbook["地区"][["地区名", "緯度", "経度"]]).to_dict()
    assert len(empty["layer"]) == 3


def _points(n: int, kinds=("サロン", "居場所")) -> pd.DataFrame:
    # n resources on a 1 km × 1 km patch, kinds alternating
    return pd.DataFrame({"名称": [f"資源{i}" for i in range(n)], "種別": [kinds[i % len(kinds)] for i in range(n)],
                         "緯度": [35.0 + (i % 50) * 0.0002 for i in range(n)],
                         "経度": [134.0 + (i // 50) * 0.0002 for i in range(n)]})


@pytest.mark.parametrize("n, limit, merged", [(0, 10, False), (10, 10, False), (11, 10, True), (3000, 1000, True),
                                              (7000, 1000, True)])
def test_the_map_shows_at_most_limit_dots_and_counts_every_resource(n, limit, merged):
    points = _points(n)
    dots, cell = resources.thin(points, limit)
    assert len(dots) <= limit
    assert (cell is not None) == merged
    if not merged:
        assert dots is points
        return
    assert dots["件数"].sum() == n
    assert set(dots["種別"]) == set(points["種別"])          # a dot never mixes kinds
    for kind in ("サロン", "居場所"):
        assert dots.loc[dots["種別"] == kind, "件数"].sum() == (points["種別"] == kind).sum()
    assert dots["緯度"].between(points["緯度"].min(), points["緯度"].max()).all()
    assert all("ほか" in name for name, k in zip(dots["名称"], dots["件数"]) if k > 1)


def test_merged_dots_are_sized_by_their_count_on_the_map():
    dots, _ = resources.thin(_points(300), 20)
    spec = charts.resource_map(dots, pd.DataFrame({"地区名": ["中央"], "緯度": [35.0], "経度": [134.0]})).to_dict()
    assert spec["layer"][0]["encoding"]["size"]["field"] == "件数"
    single, _ = resources.thin(_points(5), 20)
    spec = charts.resource_map(single, pd.DataFrame({"地区名": ["中央"], "緯度": [35.0], "経度": [134.0]})).to_dict()
    assert "field" not in spec["layer"][0]["encoding"]["size"]
