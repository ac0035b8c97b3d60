"""The 家族構成図 (genogram) and エコマップ as SVG: shapes from 性別 or 続柄, the 本人 doubled, the
deceased crossed, partners joined and children hanging from them, generations from 続柄, a dashed
line round who lives together, text escaped, projected rows without ages; the agencies round a household."""
from xml.etree import ElementTree

import pandas as pd
import pytest

from lib.casework import genogram
from lib.casework.agencies import names_agency

NS = {"s": "http://www.w3.org/2000/svg"}


def frame(*rows, columns=("記号", "続柄", "年齢", "性別", "死亡", "同居")):
    return pd.DataFrame([list(r) + [None] * (len(columns) - len(r)) for r in rows], columns=list(columns))


def by_mark(persons):
    return {p.mark: p for p in persons}


@pytest.mark.parametrize("relation, stated, sex", [
    ("母", None, "F"), ("実母", None, "F"), ("長女", None, "F"), ("妻", None, "F"), ("嫁", None, "F"),
    ("父", None, "M"), ("長男", None, "M"), ("弟", None, "M"), ("婿", None, "M"),
    ("本人", None, "?"), ("本人", "女", "F"), ("本人", "男性", "M"), ("", None, "?"), (None, None, "?"),
    ("母", "男", "M"),                                           # the 性別 column wins over the 続柄 word
])
def test_shape_from_the_sex_column_or_the_relation(relation, stated, sex):
    assert genogram.sex(relation, stated) == sex


@pytest.mark.parametrize("rows, generations", [
    ((("A氏", "本人", 48), ("B氏", "母", 78), ("C氏", "長男", 20), ("D氏", "孫", 1)),
     {"A氏": 0, "B氏": -1, "C氏": 1, "D氏": 2}),
    ((("A氏", "母", 82), ("B氏", "長男", 52)), {"A氏": 0, "B氏": 1}),              # no 本人: no empty generation
    ((("A氏", "本人", 40), ("B氏", "同居人", 62)), {"A氏": 0, "B氏": -1}),          # unknown 続柄: by age
    ((("A氏", "夫", 85), ("B氏", "妻", 82), ("C氏", "長男", 55)), {"A氏": 0, "B氏": 0, "C氏": 1}),
])
def test_generations_come_from_the_relation_to_the_honnin(rows, generations):
    assert {m: p.generation for m, p in by_mark(genogram.people(frame(*rows))).items()} == generations


def shapes(svg):
    root = ElementTree.fromstring(svg)
    return root, {tag: len(root.findall(f".//s:{tag}", NS)) for tag in ("rect", "circle", "polygon", "line", "text")}


def test_a_family_drawn_with_partners_children_the_deceased_and_who_lives_apart():
    members = frame(("A氏", "本人", 48, "男"), ("B氏", "妻", 45), ("C氏", "長男", 20), ("D氏", "長女", 16),
                    ("E氏", "父", 80, None, "はい", "いいえ"), ("F氏", "母", 78))
    svg = genogram.genogram_svg(members)
    root, count = shapes(svg)
    # □ for A, C, E; the 本人 doubled (2 rects); the 同居 frame is one more rect:
    assert count["rect"] == 3 + 1 + 1
    assert count["circle"] == 3                                    # B, D, F
    people = by_mark(genogram.people(members))
    e = people["E氏"]
    genogram.layout(list(people.values()))
    assert e.deceased and not e.together
    crossing = [l for l in root.findall(".//s:line", NS) if float(l.get("x1")) == e.x - 20 and float(l.get("y1")) == e.y - 20]
    assert crossing, "the deceased father is crossed"
    texts = [t.text for t in root.findall(".//s:text", NS)]
    assert {"A氏", "本人", "48歳", "死亡・別居", "同居"} <= set(texts)
    # The couple's line at the height of their shapes, and one line down to each child:
    a, b, c, d = people["A氏"], people["B氏"], people["C氏"], people["D氏"]
    assert '<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"' % (min(a.x, b.x) + 20, a.y, max(a.x, b.x) - 20, b.y) in svg
    for child in (c, d):
        assert '<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"' % (child.x, child.y - 20 - 22, child.x, child.y - 20) in svg


def test_text_is_escaped_and_projection_shows_age_bands_only():
    hostile = frame(('A"><script>alert(1)</script>', "本人&", 82)).assign(年代=["80代"])
    svg = genogram.genogram_svg(hostile, projection=True)
    ElementTree.fromstring(svg)                                    # still a well-formed SVG
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "本人&amp;" in svg
    assert "80代" in svg and "82" not in svg


def test_the_birth_year_gives_the_age_when_the_age_is_empty():
    members = frame(("A氏", "本人", None), columns=("記号", "続柄", "年齢")).assign(生年=[1948])
    assert genogram.people(members, today_year=2026)[0].age_text == "78歳"


def test_an_empty_household_says_so():
    assert "世帯員がまだ入っていません" in genogram.genogram_svg(frame())


def test_the_ecomap_ties_lead_roles_and_referrals_once_each_with_the_strongest_kind():
    agencies = ["地域包括支援センター", "社会福祉協議会", "生活自立相談センター", "保健センター"]
    plans = pd.DataFrame({"役割分担": ["主: 地域包括支援センター／副: 社会福祉協議会", None]})
    referrals = pd.DataFrame([{"依頼先機関": "生活自立相談センター", "状態": "依頼中", "種類": "つなぎ"},
                              {"依頼先機関": "社会福祉協議会", "状態": "受理", "種類": "つなぎ"},
                              {"依頼先機関": "保健センター", "状態": "差し戻し", "種類": "つなぎ"}])
    from lib.casework.participation import Matching
    matched = [Matching("P-1", "H-1", "B氏", "北部農園しごと体験", "体験", None, None, ""),
               Matching("P-2", "H-1", "B氏", "中央サロン", "中断", None, None, "")]          # a stopped one is no tie
    ties = genogram.ties({"主担当機関": "地域包括支援センター"}, plans, referrals,
                         lambda text, agency: names_agency(text, agency, agencies), agencies, matched)
    assert [(t.name, t.kind) for t in ties] == [("地域包括支援センター", "主担当"), ("社会福祉協議会", "役割分担"),
                                              ("生活自立相談センター", "つなぎ（依頼中）"), ("北部農園しごと体験", "参加支援")]
    svg = genogram.ecomap_svg("KTX世帯", ties)
    root, count = shapes(svg)
    assert count["line"] == 4 and "stroke-dasharray" in svg and 'stroke-width="5"' in svg and 'stroke="#15803d"' in svg
    assert "B氏 体験" in svg
    assert "KTX世帯" in [t.text for t in root.findall(".//s:text", NS)]
    assert "かかわる機関はまだ記録されていません" in genogram.ecomap_svg("A世帯", [])
    # The same in words (the drawing's text alternative): what the widths, dashes and green say
    assert genogram.ecomap_text("KTX世帯", ties) == (
        "エコマップ（KTX世帯にかかわる機関）。主担当: 地域包括支援センター。役割分担: 社会福祉協議会。"
        "つなぎ（依頼中）: 生活自立相談センター。参加支援: 北部農園しごと体験")
    assert genogram.ecomap_text("A世帯", []).endswith("かかわる機関はまだ記録されていません")
