"""Deterministic generator of みどり町, the fictional sample town (and larger towns for benchmarks).

    python -m sample_data.generate                         # rebuilds sample_data/midori_town.xlsx
    python -m sample_data.generate --households 10000 --out /tmp/town10k.xlsx

Every name is fictional. Dates are set relative to REFERENCE_DATE so the board looks alive
around it; the same arguments always give the same workbook.
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
from pathlib import Path

from lib.workbook import schema

OUT = Path(__file__).resolve().parent / "midori_town.xlsx"
# The day the sample town's records are written "as of":
REFERENCE_DATE = dt.date(2026, 11, 20)
SAMPLE_HOUSEHOLDS = 60
SEED = 2026
TOWN = "みどり町"
ERA_FORMAT = '[$-ja-JP-x-gannen]ggge"年"m"月"d"日"'

# 地区: name, centroid, population, 高齢化率(%)
AREAS = (
    ("中央", 35.0410, 134.0020, 6200, 31.5), ("北部", 35.0780, 133.9950, 3100, 38.2),
    ("東部", 35.0450, 134.0450, 2800, 36.9), ("南部", 35.0080, 134.0100, 3400, 34.0),
    ("西部", 35.0380, 133.9580, 2300, 41.7), ("山間", 35.0950, 134.0400, 1100, 52.3),
)
# 機関: name, 分野, 事業, 所管課, 支援会議構成員
AGENCIES = (
    ("福祉課 多機関協働係", "高齢、障がい、子ども、生活困窮", "多機関協働", "福祉課", "はい"),
    ("地域包括支援センター", "高齢", "包括的相談支援", "福祉課", "はい"),
    ("障がい者基幹相談支援センター", "障がい", "包括的相談支援", "福祉課", "はい"),
    ("こども家庭センター", "子ども", "包括的相談支援", "子育て支援課", "はい"),
    ("生活自立相談センター", "生活困窮", "包括的相談支援", "福祉課", "はい"),
    ("社会福祉協議会", "高齢、障がい、子ども、生活困窮", "地域づくり、参加支援", "福祉課", "はい"),
    ("アウトリーチ支援員（社協）", "生活困窮", "アウトリーチ等継続的支援", "福祉課", "はい"),
    ("保健センター", "子ども、障がい", "包括的相談支援", "健康づくり課", "はい"),
    ("教育委員会 学校教育係", "子ども", "", "教育委員会", "はい"),
    ("民生委員児童委員協議会", "高齢、子ども", "地域づくり", "福祉課", "いいえ"),
    ("居宅介護支援事業所 みどりの里", "高齢", "", "", "いいえ"),
    ("就労支援事業所 ひだまり", "障がい、生活困窮", "参加支援", "", "いいえ"),
    ("みどり町営住宅係", "生活困窮", "", "建設課", "いいえ"),
    ("税務課 収納係", "生活困窮", "", "税務課", "いいえ"),
)
STAFF = {
    "福祉課 多機関協働係": ("森田", "川口"), "地域包括支援センター": ("高野", "石井", "平田"),
    "障がい者基幹相談支援センター": ("岡", "村井"), "こども家庭センター": ("三浦", "堀"),
    "生活自立相談センター": ("西村", "桑原"), "社会福祉協議会": ("谷", "杉本"),
    "アウトリーチ支援員（社協）": ("今井",), "保健センター": ("松尾",),
}
SURNAMES = ("青木 秋山 浅野 荒井 飯田 池田 石川 泉 市川 井上 岩崎 上田 植村 内田 遠藤 大石 大野 岡本 "
            "小川 奥村 小野 笠原 片山 加藤 金子 川村 菊地 北川 木下 久保 栗田 黒木 小島 小松 近藤 "
            "坂口 桜井 佐野 沢田 島田 清水 白石 菅原 須藤 関口 高木 田口 竹内 田中 千葉 土屋 寺田 "
            "徳永 戸田 中川 永井 中島 中野 夏目 西田 野口 野村 橋本 服部 浜田 早川 原田 東 樋口 平野 "
            "福田 藤井 古川 星野 細川 前田 牧野 松本 丸山 水野 宮本 村上 望月 八木 安田 山口 横山 吉川 若林 和田").split()

# Case patterns from the seeds' examples: 課題, members (続柄, age range, 分野, 状況), lead agency.
PATTERNS = (
    ("8050", ("8050", "ひきこもり", "社会的孤立"),
     (("母", (78, 88), "高齢", "要介護1。物忘れが増えている"), ("長男", (48, 58), "障がい", "20年以上自宅にひきこもり。通院歴なし"))),
    ("ダブルケア", ("ダブルケア", "生活困窮"),
     (("本人", (38, 46), "子ども", "パート勤務。介護と育児で疲弊"), ("実母", (70, 80), "高齢", "脳梗塞後、要介護2"),
      ("長男", (6, 10), "子ども", "小学生"))),
    ("ヤングケアラー", ("ヤングケアラー", "精神疾患", "不登校"),
     (("母", (38, 48), "障がい", "うつ病で通院中"), ("長女", (13, 16), "子ども", "家事と弟の世話。欠席が増えている"),
      ("長男", (7, 10), "子ども", "小学生"))),
    ("孤立", ("社会的孤立", "身寄りなし", "住まい"),
     (("本人", (62, 75), "高齢", "単身。家屋の老朽化。近所付き合いなし"),)),
    ("困窮", ("生活困窮", "債務", "障がい"),
     (("本人", (35, 55), "生活困窮", "離職後、家賃滞納"), ("弟", (30, 50), "障がい", "軽度知的障がいの疑い"))),
    ("外国籍", ("外国籍", "生活困窮", "不登校"),
     (("本人", (30, 42), "生活困窮", "日本語での手続きが難しい"), ("長女", (8, 14), "子ども", "学校になじめていない"))),
    ("DV", ("DV", "虐待", "住まい"),
     (("本人", (28, 40), "子ども", "配偶者からの暴力"), ("長男", (2, 6), "子ども", "保育園に通っていない"))),
    ("ひきこもり", ("ひきこもり", "精神疾患"),
     (("父", (62, 70), "高齢", "年金生活"), ("母", (60, 68), "高齢", "心配して相談"), ("長男", (28, 38), "障がい", "大学中退後ひきこもり"))),
    ("認知症", ("認知症", "社会的孤立", "8050"),
     (("夫", (80, 90), "高齢", "認知症。火の不始末"), ("妻", (78, 88), "高齢", "足腰が弱い"), ("長男", (50, 58), "生活困窮", "無職。同居"))),
)
LEADS = {
    "8050": "地域包括支援センター", "ダブルケア": "地域包括支援センター", "ヤングケアラー": "こども家庭センター",
    "孤立": "生活自立相談センター", "困窮": "生活自立相談センター", "外国籍": "福祉課 多機関協働係",
    "DV": "こども家庭センター", "ひきこもり": "障がい者基幹相談支援センター", "認知症": "地域包括支援センター",
}
# 段階 → (share of households, consent choices)
STAGE_MIX = (
    ("受付", 0.10, ("あり", "不明")), ("アセスメント", 0.12, ("あり", "あり", "不明")),
    ("プラン作成", 0.10, ("あり",)), ("支援中", 0.32, ("あり",)), ("見守り", 0.16, ("なし", "不明")),
    ("終結", 0.13, ("あり",)), ("中断", 0.07, ("あり",)),
)
REFERRERS = ("本人", "家族", "民生委員", "学校", "医療機関", "地域包括支援センター", "近隣住民", "庁内他課")
GOALS = {
    "高齢": ("介護サービスを使って在宅生活を続ける", "通院を定期的に続ける"),
    "障がい": ("障がい福祉サービスにつながる", "日中の居場所を見つける", "通院を再開する"),
    "子ども": ("学校に安心して通う", "子どもらしい時間を持つ", "保育につながる"),
    "生活困窮": ("家計を立て直す", "就労体験から仕事につく", "債務を整理する"),
}
RESOURCE_TEMPLATES = (
    ("相談窓口", "{a}ふくし相談コーナー", "高齢、障がい、子ども、生活困窮", "平日 8:30〜17:15"),
    ("サロン", "{a}ふれあいいきいきサロン", "高齢", "毎週水曜 10:00〜12:00"),
    ("通いの場", "{a}いきいき百歳体操", "高齢", "毎週金曜 9:30〜11:00"),
    ("居場所", "{a}みんなの居場所", "障がい、生活困窮", "火・木 13:00〜16:00"),
    ("子育て支援拠点", "{a}子育てひろば", "子ども", "月〜金 9:00〜15:00"),
    ("子ども食堂", "{a}子ども食堂", "子ども、生活困窮", "第2・第4土曜 11:00〜14:00"),
    ("家族会", "{a}ひきこもり家族会", "障がい", "毎月第3日曜 14:00〜"),
    ("就労体験", "{a}農園しごと体験", "障がい、生活困窮", "応相談"),
    ("ボランティア", "{a}見守りボランティア", "高齢", "随時"),
    ("地域活動支援センター", "{a}地域活動支援センター", "障がい", "月〜金 10:00〜16:00"),
)
CONTACT_TEXT = {
    "訪問": ("自宅を訪問。本人と面会し近況を確認", "訪問したが不在。手紙を置いた", "家族と面会。介護の負担を聞き取り"),
    "来所": ("窓口に来所。手続きを一緒に行った", "家族が来所し相談"),
    "電話": ("電話で近況確認", "本人から電話。不安の訴え", "関係機関と電話で情報共有"),
    "同行": ("通院に同行", "役場の手続きに同行"),
    "手紙": ("手紙で連絡。返信なし",),
    "メール": ("学校とメールで情報共有",),
    "会議": ("ケース会議で役割分担を確認",),
}


def _date_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    days = max(0, (end - start).days)
    return start + dt.timedelta(days=rng.randint(0, days))


def build(households: int = SAMPLE_HOUSEHOLDS, seed: int = SEED, ref: dt.date = REFERENCE_DATE) -> dict[str, list[list]]:
    """The whole town as tab → rows (header first), with Python dates in date columns."""
    rng = random.Random(seed)
    fy_start = dt.date(ref.year - 1 if ref.month < 4 else ref.year, 4, 1) - dt.timedelta(days=365)
    scale = max(1, households // SAMPLE_HOUSEHOLDS)
    tabs = {t.name: [t.column_names] for t in schema.TABS}

    for name, lat, lon, pop, aging in AREAS:
        tabs["地区"].append([name, lat, lon, pop * scale, aging])
    for name, fields, programmes, section, member in AGENCIES:
        tabs["機関"].append([name, fields, programmes, f"0868-00-{1000 + len(tabs['機関']):04d}",
                           f"info{len(tabs['機関']):02d}@midori.example.jp", section, member])

    stages = []
    for stage, share, consents in STAGE_MIX:
        stages += [(stage, consents)] * round(share * households)
    while len(stages) < households:
        stages.append(("支援中", ("あり",)))
    stages = stages[:households]
    rng.shuffle(stages)

    household_rows, plan_households = [], []
    for i, (stage, consents) in enumerate(stages, start=1):
        hid = f"H-{i:03d}" if households < 1000 else f"H-{i:05d}"
        pattern_key, issues, members = PATTERNS[rng.randrange(len(PATTERNS))]
        consent = rng.choice(consents)
        area = AREAS[rng.randrange(len(AREAS))][0]
        lead = LEADS[pattern_key] if stage != "見守り" else rng.choice(("アウトリーチ支援員（社協）", LEADS[pattern_key]))
        staff = rng.choice(STAFF.get(lead, ("担当",)))
        received = _date_between(rng, fy_start, ref - dt.timedelta(days=3))
        if stage in ("受付", "アセスメント"):
            received = _date_between(rng, ref - dt.timedelta(days=75), ref - dt.timedelta(days=2))
        review = None
        if stage in ("アセスメント", "プラン作成", "支援中", "見守り"):
            review = ref + dt.timedelta(days=rng.randint(-40, 90))
        closed = _date_between(rng, received + dt.timedelta(days=60), ref) if stage == "終結" else None
        last_contact = _date_between(rng, max(received, ref - dt.timedelta(days=120)), ref)
        if stage == "中断":
            last_contact = _date_between(rng, received, ref - dt.timedelta(days=95))
        # 中断 is decided at a 重層的支援会議 some weeks after contact was lost (no random draw: the
        # rest of the town stays as it was before this column existed):
        stopped = min(last_contact + dt.timedelta(days=35), ref) if stage == "中断" else None
        urgency = rng.choices(("高", "中", "低", None), (2, 5, 3, 1))[0]
        if pattern_key == "DV":
            urgency = "高"
        surname = SURNAMES[(i * 7) % len(SURNAMES)] + ("" if i <= len(SURNAMES) else str(i // len(SURNAMES)))
        note = rng.choice(("", "", "近所の方が心配している", "夜間の連絡は避ける", "本人は訪問を嫌がる"))
        household_rows.append([hid, f"{surname}世帯", area, "、".join(issues[:rng.randint(2, 3)]), consent, stage,
                               lead, staff, received, review, last_contact, urgency,
                               rng.choice(REFERRERS), closed, stopped, note or None])
        for j, (rel, ages, field, state) in enumerate(members):
            tabs["世帯員"].append([hid, f"{chr(65 + j)}氏", rel, rng.randint(*ages), field, state,
                                 _sex(pattern_key, rel)])
        if consent == "あり" and stage in ("プラン作成", "支援中", "終結", "中断"):
            plan_households.append((hid, stage, received, members, lead))
    tabs["世帯"].extend(household_rows)

    for hid, stage, received, members, lead in plan_households:
        updated = _date_between(rng, received + dt.timedelta(days=20), ref)
        targets = [(f"{chr(65 + j)}氏", m[2]) for j, m in enumerate(members)]
        if rng.random() < 0.5:
            targets.append(("危機介入", "生活困窮"))
        if rng.random() < 0.6:
            targets.append(("その他", "生活困窮"))
        for target, field in targets:
            goal = rng.choice(GOALS[field]) if target not in ("危機介入", "その他") else (
                "緊急時の連絡体制をつくる" if target == "危機介入" else "地域の見守りにつなぐ")
            partner = rng.choice([a[0] for a in AGENCIES[:11]])
            status = {"終結": rng.choice(("達成", "達成", "中止")), "中断": rng.choice(("実施中", "中止")),
                      "プラン作成": "未着手"}.get(stage) or rng.choice(("実施中", "実施中", "達成", "見直し", "未着手"))
            tabs["支援プラン"].append([hid, target, goal, "本人の意向を確認しながら進める",
                                   f"{partner}が月1回状況を確認する", f"主: {lead}／副: {partner}",
                                   updated + dt.timedelta(days=rng.choice((30, 60, 90, 180))), status, updated])

    lead_of = {r[0]: r[6] for r in household_rows}
    meetings = []
    month = fy_start
    n = 0
    fy_end = dt.date(fy_start.year + 2, 3, 31)
    consent_ids = [r[0] for r in household_rows if r[4] == "あり" and r[5] not in ("受付",)]
    secret_ids = [r[0] for r in household_rows if r[4] != "あり"]
    while month <= fy_end:
        day = month.replace(day=10 + rng.randint(0, 8))
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        past = day <= ref
        for kind, cases in (("支援会議", secret_ids), ("重層的支援会議", consent_ids)):
            n += 1
            picked = rng.sample(cases, min(len(cases), rng.randint(2, 5) * min(scale, 20))) if cases else []
            meetings.append([f"M-{day:%Y%m}-{n:03d}", kind, day, dt.time(13, 30) if kind == "支援会議" else dt.time(15, 0),
                             dt.time(14, 50) if kind == "支援会議" else dt.time(16, 30), "みどり町役場 2階会議室",
                             "福祉課長", "、".join(picked), "情報共有と役割分担の確認" if kind == "支援会議" else "プランの評価・再プラン",
                             "、".join(dict.fromkeys(["福祉課 多機関協働係", *(lead_of[h] for h in picked)])),
                             "次回まで見守りを継続。訪問頻度を月2回に" if past else None])
        if month.month % 2 == 0:
            n += 1
            meetings.append([f"M-{day:%Y%m}-{n:03d}", "定例会議", day + dt.timedelta(days=7), dt.time(10, 0), dt.time(11, 30),
                             "みどり町保健福祉センター", "福祉課長", None, "プランの進捗と社会資源の充足状況",
                             "地域包括支援センター、障がい者基幹相談支援センター、こども家庭センター、生活自立相談センター、社会福祉協議会", "居場所が足りない地区を次回までに調べる" if past else None])
        if month.month in (5, 11):
            n += 1
            meetings.append([f"M-{day:%Y%m}-{n:03d}", "代表者会議", day + dt.timedelta(days=14), dt.time(14, 0), dt.time(15, 30),
                             "みどり町役場 3階大会議室", "副町長", None, "実施計画の進捗報告",
                             "福祉課 多機関協働係、社会福祉協議会、地域包括支援センター、民生委員児童委員協議会", "計画どおり進める" if past else None])
        month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    tabs["会議"].extend(_recorded(meetings, ref))
    for name, *_, section, member in AGENCIES:
        if member == "はい":
            for i, person in enumerate(STAFF.get(name, ("担当",))[:2]):
                tabs["構成員名簿"].append([name, person, "係長" if i == 0 else "主任",
                                      fy_start + dt.timedelta(days=7 + i), None])

    agency_names = [a[0] for a in AGENCIES]
    for row in household_rows:
        hid, lead, staff, received, closed = row[0], row[6], row[7], row[8], row[13]
        end = min(ref, closed or ref, row[10] or ref)
        for _ in range(rng.randint(5, 9)):
            method = rng.choices(tuple(CONTACT_TEXT), (6, 2, 5, 2, 1, 1, 1))[0]
            agency = lead if rng.random() < 0.7 else rng.choice(agency_names[:9])
            tabs["経過記録"].append([_date_between(rng, received, end), hid, agency,
                                 staff if agency == lead else rng.choice(STAFF.get(agency, ("担当",))), method,
                                 rng.choice(CONTACT_TEXT[method])])

    k = 0
    for area, lat, lon, *_ in AREAS:
        templates = RESOURCE_TEMPLATES if area == "中央" else [t for t in RESOURCE_TEMPLATES if rng.random() < 0.65]
        for copy in range(scale if households > SAMPLE_HOUSEHOLDS else 1):
            for kind, name, fields, hours in templates:
                k += 1
                suffix = "" if copy == 0 else f" {copy + 1}"
                tabs["社会資源"].append([f"R-{k:03d}", name.format(a=area) + suffix, kind, fields, area,
                                     f"{TOWN}{area}{rng.randint(1, 999)}番地", round(lat + rng.uniform(-0.008, 0.008), 5),
                                     round(lon + rng.uniform(-0.008, 0.008), 5), f"0868-11-{k:04d}", hours,
                                     "どなたでも" if kind not in ("子育て支援拠点", "子ども食堂") else "子どもと保護者",
                                     rng.choice(("はい", "はい", "はい", "いいえ")), None])

    # One resource with no fixed place: no coordinates, so the map lists it under the map.
    tabs["社会資源"].append([f"R-{k + 1:03d}", "町内巡回 移動図書館とおしゃべり便", "ボランティア", "高齢", None, "町内巡回",
                         None, None, "0868-11-9999", "第1・第3火曜", "どなたでも", "はい", "場所は日によって変わります"])
    for fy in (fy_start.year, fy_start.year + 1):
        for programme, indicator, target, unit, key in (
                ("包括的相談支援", "新規相談受付件数", 40, "件", "新規相談受付件数"),
                ("多機関協働", "重層的支援会議の開催回数", 12, "回", "重層的支援会議開催回数"),
                ("多機関協働", "支援会議の開催回数", 12, "回", "支援会議開催回数"),
                ("多機関協働", "世帯支援プランの作成数", 25, "件", "支援プラン作成件数"),
                ("アウトリーチ等継続的支援", "訪問による支援の件数", 120, "件", "訪問件数"),
                ("参加支援", "参加支援につながった人数", 10, "人", ""),
                ("地域づくり", "居場所・通いの場・サロンの数", 30, "か所", "社会資源数:居場所・通いの場・サロン")):
            actual = round(target * rng.uniform(0.5, 1.2) * (1 if fy == fy_start.year else 0.6)) if fy <= ref.year else None
            tabs["計画指標"].append([fy, programme, indicator, target * scale, actual and actual * scale, unit, key or None, None])
    _records(tabs, household_rows, plan_households, random.Random(seed + 1), ref)
    _assessments(tabs, household_rows, random.Random(seed + 2), ref)
    _participation(tabs, household_rows, random.Random(seed + 3), ref)
    _outreach(tabs, household_rows, random.Random(seed + 4), ref)
    _report_notes(tabs, fy_start.year, ref)
    return tabs


REPORT_NOTES = {
    "包括的相談支援": "福祉課の総合相談窓口と地域包括支援センターの連携で、複合的な課題をもつ世帯の相談が増えた。"
                 "8050・ダブルケアの世帯を早い段階で受け付けられるようになった。",
    "参加支援": "サロンと就労体験の受入先が増え、マッチングから定着まで進む人が出てきた。受入先への支援を続ける。",
    "地域づくり": "中央地区以外では居場所・サロンが足りない。東部と山間での開拓を来年度の重点とする。",
    "アウトリーチ等継続的支援": "社協のアウトリーチ支援員が民生委員と訪問を重ね、相談受付につながった人がいる。",
    "多機関協働": "重層的支援会議と支援会議を毎月開き、つなぎの応答も1週間以内がほとんどになった。",
}


def _report_notes(tabs, first_year: int, ref: dt.date) -> None:
    """The 係長's 所見 of the last full 年度 (実施状況報告), written after its end (no random draw);
    for 地域づくり a first draft and its revision, as the app appends them."""
    written = dt.date(first_year + 1, 5, 20)
    for programme, text in REPORT_NOTES.items():
        tabs["実施状況報告"].append([first_year, programme, text, written, "森田"])
    tabs["実施状況報告"].insert(3, [first_year, "地域づくり", "居場所・サロンが足りない地区がある。", written - dt.timedelta(days=7), "森田"])


def _recorded(meetings: list[list], ref: dt.date) -> list[list]:
    """Past case meetings as the app records them: who attended (every third meeting one agency
    was absent), and for the last 重層的支援会議 its minutes and the plan rows it changed."""
    last = max((i for i, m in enumerate(meetings) if m[1] == "重層的支援会議" and m[2] <= ref), default=None)
    out = []
    for i, m in enumerate(meetings):
        attended = minutes = changed = None
        if m[2] <= ref and m[1] in ("支援会議", "重層的支援会議"):
            invited = m[9].split("、")
            absent = invited[-1] if i % 3 == 0 and len(invited) > 1 else None
            attended = "\n".join(f"{a}：{'欠席' if a == absent else STAFF.get(a, ('担当',))[0]}" for a in invited)
        if i == last and m[7]:
            ids = m[7].split("、")
            minutes = "\n".join(f"{h}: 前回からの変化を共有。 ／ 本人の意向を確認し、役割分担を見直した" for h in ids)
            changed = f"{ids[0]}: A氏「本人の意向を確認しながら進める」更新"
        out.append([*m, attended, minutes, changed])
    return out


# The 本人's 性別 in each pattern (the other members' comes from their 続柄):
SELF_SEX = {"ダブルケア": "女", "孤立": "男", "困窮": "男", "外国籍": "女", "DV": "女"}


def _sex(pattern_key: str, relation: str) -> str | None:
    from lib.casework.genogram import sex
    if relation == "本人":
        return SELF_SEX.get(pattern_key)
    return {"M": "男", "F": "女"}.get(sex(relation))


# What an intake assessment (別紙2-3) of each pattern reads like:
ASSESSMENT_TEXT = {
    "本人の思い": "「このままではいけないと思うが、どこに相談したらよいかわからなかった」",
    "生活歴": "町内で生まれ育つ。{state}",
    "健康": "{field}の分野で支援が必要。通院状況は要確認",
    "経済": "年金・就労収入の状況を確認中。滞納の有無を税務以外の情報で確認する",
    "住まい": "持ち家（一部老朽化）",
    "家族関係": "家族の間で役割が偏っている。主な介護・世話を一人が担っている",
    "社会関係": "近所付き合いは少ない。民生委員が見守っている",
    "強み": "困りごとを自分の言葉で話せる。家族を大切に思っている",
    "課題の見立て": "{issues}が重なり、世帯全体で支援が必要",
    "支援の方向": "主担当を中心に、関係機関で役割を分担してかかわる。まず本人との信頼関係をつくる",
}


def _assessments(tabs, household_rows, rng: random.Random, ref: dt.date) -> None:
    """アセスメント (別紙2-3) for the households past 受付 with consent (own random stream): one each,
    and an earlier one for some of those being supported."""
    members_of: dict[str, list[list]] = {}
    for row in tabs["世帯員"][1:]:
        members_of.setdefault(row[0], []).append(row)
    for hid, _, _, issues, consent, stage, lead, staff, received, *_ in household_rows:
        if consent != "あり" or stage in ("受付", "見守り"):
            continue
        first = members_of.get(hid, [[hid, "A氏", "", 0, "", ""]])[0]
        fill = {"state": first[5] or "", "field": first[4] or "", "issues": issues}
        days = [min(ref, received + dt.timedelta(days=rng.randint(7, 30)))]
        if stage in ("支援中", "終結") and rng.random() < 0.4:
            days.append(min(ref, days[0] + dt.timedelta(days=rng.randint(90, 200))))
        for k, day in enumerate(days):
            texts = [ASSESSMENT_TEXT[name].format(**fill) for name in schema.ASSESSMENT_FIELDS]
            if k:
                texts[-1] = "プランの取組が進んだ。次は日中の居場所（参加支援）を一緒に探す"
            tabs["アセスメント"].append([hid, day, "世帯", *texts, lead, staff, f"A-{day:%Y%m%d}-{hid[2:]}{k}"])


# Kinds of 受入先 a member of working age is matched with (参加支援):
PARTICIPATION_KINDS = ("就労体験", "居場所", "地域活動支援センター", "ボランティア", "サロン")
PARTICIPATION_PATHS = (("打診", "見学", "体験", "定着", "定着支援"), ("打診", "見学", "体験", "定着"),
                       ("打診", "見学", "中断"), ("打診", "体験"), ("打診", "見学"))


def _participation(tabs, household_rows, rng: random.Random, ref: dt.date) -> None:
    """参加支援 matchings for members of working age in households being supported (own random stream),
    and two resources still being developed (開拓中) by the 社会福祉協議会."""
    resources = [r for r in tabs["社会資源"][1:] if r[2] in PARTICIPATION_KINDS and r[11] == "はい"]
    for r in [r for r in tabs["社会資源"][1:] if r[11] == "いいえ" and r[2] in ("就労体験", "居場所")][:2]:
        r += [None] * (15 - len(r))
        r[13], r[14] = "開拓中", "社会福祉協議会（谷）"
        r[12] = "受入先を開拓中（農園・商店街と相談）"
    members_of: dict[str, list[list]] = {}
    for row in tabs["世帯員"][1:]:
        members_of.setdefault(row[0], []).append(row)
    number = 0
    for hid, _, _, _, consent, stage, lead, staff, received, *_ in household_rows:
        if consent != "あり" or stage not in ("支援中", "終結") or not resources:
            continue
        member = next((m for m in members_of.get(hid, []) if 15 <= m[3] <= 64 and m[4] in ("障がい", "生活困窮", "子ども")), None)
        if member is None or rng.random() < 0.4:
            continue
        number += 1
        resource = rng.choice(resources)
        path = PARTICIPATION_PATHS[number % len(PARTICIPATION_PATHS)]
        day = min(ref - dt.timedelta(days=5 * len(path) + 40), received + dt.timedelta(days=rng.randint(30, 90)))
        mid = f"P-{day:%Y%m%d}-{number:04d}"
        for step in path:
            notes = {"打診": "本人が見学してみたいと話す", "見学": "作業の様子を見て「やってみたい」", "体験": "週1回、半日の体験",
                     "定着": "週2回の通所が続いている", "定着支援": "受入先と本人の様子を確認", "中断": None}[step]
            support = "受入先に本人の得意なこと・配慮してほしいことを伝えた" if step in ("体験", "定着") else None
            reason = "体調を崩し、通うのが難しくなった" if step == "中断" else None
            tabs["参加支援"].append([mid, hid, member[1], resource[1], step, day, notes, support, reason,
                                 "社会福祉協議会", "谷"])
            day = min(ref, day + dt.timedelta(days=rng.randint(7, 25)))


# People reached out to before any 受付 (呼び名, 地区) and how the contacts went:
OUTREACH_PEOPLE = (("東部 70代男性", "東部"), ("山間 50代女性", "山間"), ("北部 40代男性（ひきこもり）", "北部"),
                   ("西部 80代女性", "西部"), ("南部 30代男性", "南部"), ("中央 60代男性", "中央"))
OUTREACH_NOTES = ("民生委員と訪問。玄関先で短く話せた", "不在。手紙を置いてきた", "家族が対応。本人は顔を見せず",
                  "本人と5分ほど話せた。庭の手入れの話", "電話に出た。困っていることは『特にない』")


def _outreach(tabs, household_rows, rng: random.Random, ref: dt.date) -> None:
    """アウトリーチ contacts with people not yet in 受付 (own random stream); the last of them agreed
    and became a household of the town (its 受付後の世帯ID)."""
    later = next((r for r in reversed(household_rows) if r[5] == "受付"), household_rows[-1])
    for number, (name, area) in enumerate(OUTREACH_PEOPLE, start=1):
        day = ref - dt.timedelta(days=rng.randint(60, 150))
        pid = f"O-{day:%Y%m%d}-{number:04d}"
        state = ("接触中", "見守り", "接触中", "終了", "接触中", "相談受付へ")[number - 1]
        for k in range(rng.randint(2, 5)):
            method = rng.choice(("訪問", "訪問", "手紙", "電話"))
            plan = rng.choice(("月1回、民生委員と一緒に訪問を続ける", "季節のあいさつの手紙から", "地域の行事に誘ってみる"))
            tabs["アウトリーチ"].append([pid, name, area, day, method, rng.choice(OUTREACH_NOTES), plan,
                                     "接触中", "アウトリーチ支援員（社協）", "今井", None])
            day = min(ref - dt.timedelta(days=3), day + dt.timedelta(days=rng.randint(10, 30)))
        if state == "相談受付へ":
            tabs["アウトリーチ"].append([pid, name, area, later[8], None, f"本人が同意し、相談受付へ（世帯ID {later[0]}）",
                                     None, state, "アウトリーチ支援員（社協）", "今井", later[0]])
        elif state != "接触中":
            tabs["アウトリーチ"].append([pid, name, area, day, "訪問", "様子を確認", None, state,
                                     "アウトリーチ支援員（社協）", "今井", None])


# The way a case usually goes, stage by stage (見守り, 終結 and 中断 branch off it):
STAGE_PATH = ("受付", "アセスメント", "プラン作成", "支援中")


def _records(tabs, household_rows, plan_households, rng: random.Random, ref: dt.date) -> None:
    """同意記録, 段階履歴, つなぎ and 評価 that agree with the households (own random stream, so the
    rest of the town is the same as before these tabs existed)."""
    hub = AGENCIES[0][0]
    referral = 0
    for hid, _, _, _, consent, stage, lead, staff, received, _, last_contact, _, _, closed, stopped, _ in household_rows:
        end = closed or stopped or ref
        if consent == "あり":
            tabs["同意記録"].append([hid, received + dt.timedelta(days=rng.randint(0, 6)), "あり", "両方", staff, None])
        elif consent == "なし":
            if rng.random() < 0.2:          # agreed first, then withdrew
                tabs["同意記録"].append([hid, received, "あり", "情報共有", staff, None])
                tabs["同意記録"].append([hid, _date_between(rng, received, end), "撤回", "両方", staff, "本人から撤回の申し出"])
            else:
                tabs["同意記録"].append([hid, received, "なし", None, staff, "本人が同意しない"])
        if stage == "見守り":
            path = ["受付", "見守り"]
        else:
            path = list(STAGE_PATH[:STAGE_PATH.index(stage) + 1]) if stage in STAGE_PATH else [*STAGE_PATH, stage]
        days = sorted(_date_between(rng, received, end) for _ in path[1:])
        if stage in schema.CLOSED_STAGES:
            days[-1] = end
        previous = None
        for new, day in zip(path, [received, *days]):
            reason = {"終結": "目標を達成したため", "中断": "連絡が取れなくなったため"}.get(new)
            tabs["段階履歴"].append([hid, day, previous, new, reason, staff])
            previous = new
        if lead != hub and rng.random() < 0.35:
            referral += 1
            asked = received + dt.timedelta(days=rng.randint(1, 10))
            state = rng.choices(("受理", "差し戻し", "依頼中"), (8, 1, 1))[0]
            if state == "依頼中":                # waiting now: asked in the last fortnight
                asked = max(received, ref - dt.timedelta(days=rng.randint(1, 14)))
            answered = None if state == "依頼中" else min(ref, asked + dt.timedelta(days=rng.randint(1, 9)))
            tabs["つなぎ"].append([f"T-{referral:04d}", hid, asked, lead, hub, "つなぎ", "複合的な課題があり、多機関での検討をお願いします",
                                 state, answered, "森田" if answered else None,
                                 {"差し戻し": "主担当機関で対応可能と判断しました"}.get(state)])
            if state == "受理" and stage in ("支援中", "終結"):
                referral += 1
                back = min(ref, (answered or asked) + dt.timedelta(days=rng.randint(20, 60)))
                tabs["つなぎ"].append([f"T-{referral:04d}", hid, back, hub, lead, "つなぎもどし",
                                     "プランができたので主担当としてお願いします", "受理", back, staff, None])
    closed_on = {r[0]: r[13] for r in household_rows}
    watchers = ("民生委員児童委員協議会", "社会福祉協議会", "居宅介護支援事業所 みどりの里")
    for hid, stage, received, members, lead in plan_households:
        if stage != "終結":
            continue
        closed = closed_on[hid]
        watcher = rng.choice([w for w in watchers if w != lead])
        referral += 1
        tabs["つなぎ"].append([f"T-{referral:04d}", hid, closed, lead, watcher, "引継ぎ",
                             "終結にともなう見守りの引継ぎをお願いします（評価シートをご覧ください）", "受理",
                             min(ref, closed + dt.timedelta(days=rng.randint(1, 6))), "担当", None])
        for j, (_, _, field, _) in enumerate(members):
            tabs["評価"].append([hid, closed, f"{chr(65 + j)}氏", rng.choice(GOALS[field]),
                               rng.choice(("達成", "達成", "一部達成")), "生活のリズムが整い、相談先ができた",
                               "目標を達成したため", watcher, "森田"])
        # つながり評価 (別紙2-7): whom the household is connected to now (no random draw):
        tabs["つながり評価"].append([hid, closed, "世帯", watcher, "機関", "安定", "月1回の見守り訪問", "森田"])
        tabs["つながり評価"].append([hid, closed, "A氏", "近所の友人", "地域の人", "ときどき", "買い物に一緒に行く", "森田"])


def write_xlsx(tabs: dict[str, list[list]], path: Path) -> Path:
    """Save tabs as an .xlsx the way Excel saves one (text in the shared strings table, not inline);
    date columns get the 和暦 display format staff are used to."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, rows in tabs.items():
        sheet = book.create_sheet(title)
        tab = schema.TABS_BY_NAME[title]
        era_cols = {i for i, c in enumerate(tab.columns) if c.type == schema.DATE}
        for row in rows:
            sheet.append(row)
        for row in sheet.iter_rows(min_row=2):
            for i in era_cols:
                if i < len(row) and isinstance(row[i].value, dt.date):
                    row[i].number_format = ERA_FORMAT if i == 8 or title != "世帯" else "yyyy/m/d"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=SAMPLE_HOUSEHOLDS)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    tabs = build(args.households, args.seed)
    write_xlsx(tabs, args.out)
    print(f"{args.out}: " + ", ".join(f"{k} {len(v) - 1}行" for k, v in tabs.items()))


if __name__ == "__main__":
    main()
