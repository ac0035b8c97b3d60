"""The sample town: rebuilt exactly by its generator, and covering what the screens need."""
import datetime as dt

from lib.workbook.sources import read_excel
from lib.workbook.validate import validate
from sample_data import generate


def test_committed_sample_matches_the_generator(tmp_path, sample_raw):
    rebuilt = read_excel(generate.write_xlsx(generate.build(), tmp_path / "again.xlsx"))
    assert rebuilt == sample_raw


def test_generator_is_deterministic():
    assert generate.build(120) == generate.build(120)
    assert generate.build(120, seed=1) != generate.build(120)


def test_sample_covers_every_stage_both_tracks_and_the_seed_cases(sample_raw):
    workbook = validate(sample_raw)
    hh = workbook["世帯"]
    assert set(hh["段階"]) == {"受付", "アセスメント", "プラン作成", "支援中", "見守り", "終結", "中断"}
    assert set(hh["同意"]) == {"あり", "なし", "不明"}
    issues = {i for cell in hh["課題"] for i in cell}
    assert {"8050", "ダブルケア", "ヤングケアラー", "社会的孤立", "ひきこもり"} <= issues
    assert 55 <= len(hh) <= 65
    assert 120 <= len(workbook["支援プラン"]) <= 180
    assert 350 <= len(workbook["経過記録"]) <= 450
    assert 35 <= len(workbook["社会資源"]) <= 45
    assert set(workbook["会議"]["種別"]) == {"支援会議", "重層的支援会議", "定例会議", "代表者会議"}
    assert set(workbook["計画指標"]["年度"]) == {2025, 2026}
    assert workbook["世帯員"]["記号"].str.fullmatch(r"[A-Z]氏").all()


def test_resources_lie_inside_the_town(sample_raw):
    workbook = validate(sample_raw)
    areas, resources = workbook["地区"], workbook["社会資源"].dropna(subset=["緯度", "経度"])
    assert len(resources) == len(workbook["社会資源"]) - 1     # one has no fixed place on purpose
    assert resources["緯度"].between(areas["緯度"].min() - 0.02, areas["緯度"].max() + 0.02).all()
    assert resources["経度"].between(areas["経度"].min() - 0.02, areas["経度"].max() + 0.02).all()


def test_no_consent_households_are_never_in_a_plan_stage(sample_raw):
    hh = validate(sample_raw)["世帯"]
    assert not hh[hh["同意"] != "あり"]["段階"].isin(["プラン作成", "支援中"]).any()


def test_benchmark_size_scales_other_tabs():
    big = generate.build(600)
    assert len(big["世帯"]) - 1 == 600
    assert len(big["経過記録"]) - 1 > 3000
    assert all(isinstance(r[8], dt.date) for r in big["世帯"][1:])
