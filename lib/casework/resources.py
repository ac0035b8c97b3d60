"""社会資源: where the town's resources are, which 地区 lack which kinds (社会資源の充足状況),
and which resources fit a household (参加支援).

The colour of each 種別 and the 課題 → 種別 mapping are data below: change them here only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from lib.workbook import schema
from lib.casework.households import CLOSED_STAGES

# Map colour per 社会資源 種別 (a fixed palette, so a kind keeps its colour on every screen):
KIND_COLOURS = {
    "相談窓口": "#1565c0", "居場所": "#ef6c00", "サロン": "#2e7d32", "通いの場": "#66bb6a",
    "子育て支援拠点": "#ec407a", "子ども食堂": "#ad1457", "地域活動支援センター": "#6a1b9a", "就労体験": "#00838f",
    "ボランティア": "#8d6e63", "家族会": "#f9a825", "その他": "#757575",
}
# 課題 → the kinds of resource that usually help with it (参加支援 suggestions):
ISSUE_KINDS = {
    "8050": ("居場所", "家族会", "相談窓口"),
    "ひきこもり": ("居場所", "家族会", "地域活動支援センター"),
    "ヤングケアラー": ("子ども食堂", "居場所", "子育て支援拠点"),
    "ダブルケア": ("子育て支援拠点", "相談窓口", "サロン"),
    "社会的孤立": ("サロン", "通いの場", "居場所", "ボランティア"),
    "身寄りなし": ("サロン", "通いの場", "ボランティア"),
    "生活困窮": ("相談窓口", "就労体験", "子ども食堂"),
    "債務": ("相談窓口",),
    "障がい": ("地域活動支援センター", "就労体験", "居場所"),
    "精神疾患": ("地域活動支援センター", "家族会", "居場所"),
    "認知症": ("家族会", "通いの場", "サロン"),
    "不登校": ("居場所", "子ども食堂"),
    "外国籍": ("相談窓口", "子ども食堂", "ボランティア"),
    "虐待": ("相談窓口", "子育て支援拠点"),
    "DV": ("相談窓口",),
    "住まい": ("相談窓口",),
}
# Kinds for older residents, compared per 1,000 residents aged 65+:
SENIOR_KINDS = ("サロン", "通いの場")
# Kinds every 地区 is expected to have; the 定例会議 summary names the missing ones:
CORE_KINDS = ("相談窓口", "居場所", "サロン", "通いの場", "子育て支援拠点", "子ども食堂")
# A resource farther than this from every 地区 centre is treated as mistyped, not plotted:
FAR_FROM_TOWN_KM = 30.0
# More dots than this cannot be told apart on the map (and each one is sent to the browser with
# its tooltip): nearby resources of one 種別 become one dot with their count (a grid of cells, each
# side doubled until the dots fit):
MAP_DOTS = 400
FIRST_CELL_DEGREES = 0.002          # about 200 m


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km (haversine)."""
    r = 6371.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def _centres(workbook) -> dict[str, tuple[float, float]]:
    areas = workbook[schema.AREAS]
    return {n: (la, lo) for n, la, lo in zip(areas["地区名"], areas["緯度"], areas["経度"])
            if not pd.isna(la) and not pd.isna(lo)}


def thin(points: pd.DataFrame, limit: int = MAP_DOTS) -> tuple[pd.DataFrame, float | None]:
    """At most `limit` dots for the map: the points as they are when they fit; otherwise one dot
    per 種別 and grid cell at the mean position of its resources, 名称 saying how many (件数), and
    the cell side in degrees (None when nothing was merged)."""
    if len(points) <= limit:
        return points, None
    cell = FIRST_CELL_DEGREES
    while True:
        keys = [points["種別"].fillna("その他"), (points["緯度"] // cell).astype(int), (points["経度"] // cell).astype(int)]
        groups = points.groupby(keys, sort=False)
        if groups.ngroups <= limit:
            break
        cell *= 2
    dots = groups.agg(緯度=("緯度", "mean"), 経度=("経度", "mean"), 件数=("緯度", "size"),
                      一例=("名称", "first")).reset_index(level=[1, 2], drop=True).reset_index()
    dots["名称"] = [f"{name}（ほか{n - 1}件）" if n > 1 else name for name, n in zip(dots["一例"], dots["件数"])]
    return dots[["名称", "種別", "件数", "緯度", "経度"]], cell


def locate(workbook) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(resources that can go on the map, resources that cannot with 理由)."""
    res = workbook[schema.RESOURCES]
    centres = _centres(workbook)
    problems = {(p.row, p.column) for p in workbook.problems if p.tab == workbook.titles.get(schema.RESOURCES)}
    ok, reasons = [], []
    for r in res.to_dict("records"):
        lat, lon = r["緯度"], r["経度"]
        reason = None
        if pd.isna(lat) and pd.isna(lon):
            bad = (r["_row"], "緯度") in problems or (r["_row"], "経度") in problems
            reason = "緯度・経度が読めません（データ点検を見てください）" if bad else "緯度・経度が入っていません"
        elif pd.isna(lat) or pd.isna(lon):
            reason = "緯度と経度の片方しかありません"
        elif centres and min(distance_km(lat, lon, a, b) for a, b in centres.values()) > FAR_FROM_TOWN_KM:
            reason = f"町から{FAR_FROM_TOWN_KM:.0f}km以上離れた位置です（入力ミスの可能性）"
        (reasons if reason else ok).append({**r, "理由": reason} if reason else r)
    columns = list(res.columns)
    return (pd.DataFrame(ok, columns=columns).reset_index(drop=True),
            pd.DataFrame(reasons, columns=[*columns, "理由"])[["資源ID", "名称", "種別", "地区", "緯度", "経度", "理由"]])


@dataclass(frozen=True)
class ResourceFilters:
    kinds: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    accepting_only: bool = False


def filter_resources(res: pd.DataFrame, f: ResourceFilters) -> pd.DataFrame:
    """Resources of the chosen 種別, 分野 (any of), 地区, and only 受入可=はい when asked."""
    keep = pd.Series(True, index=res.index)
    if f.kinds:
        keep &= res["種別"].isin(f.kinds)
    if f.fields:
        keep &= res["分野"].map(lambda v: bool(set(v) & set(f.fields)))
    if f.areas:
        keep &= res["地区"].isin(f.areas)
    if f.accepting_only:
        keep &= res["受入可"].eq("はい")
    return res[keep]


def _areas(workbook) -> list[str]:
    named = list(workbook[schema.AREAS]["地区名"])
    extra = sorted({a for a in workbook[schema.RESOURCES]["地区"] if isinstance(a, str) and a not in named})
    return named + extra


def coverage(workbook) -> pd.DataFrame:
    """地区 × 種別 counts (0 = a gap), with a total column."""
    res = workbook[schema.RESOURCES]
    kinds = [k for k in schema.RESOURCE_KINDS if k != "その他" or (res["種別"] == "その他").any()]
    rows = []
    for area in _areas(workbook):
        here = res[res["地区"] == area]["種別"].value_counts()
        rows.append({"地区": area, **{k: int(here.get(k, 0)) for k in kinds}, "合計": int(here.sum())})
    return pd.DataFrame(rows, columns=["地区", *kinds, "合計"])


def gaps(workbook, kinds: tuple[str, ...] = CORE_KINDS) -> int:
    """How many (地区, 種別) of the core kinds have no resource at all (the zeros gap_summary names)."""
    table = coverage(workbook)
    return int(sum(int(row.get(k, 0) == 0) for row in table.to_dict("records") for k in kinds))


def developing(workbook) -> int:
    """Resources being developed (状態 開拓中): the gaps someone is filling now."""
    return int(workbook[schema.RESOURCES]["状態"].eq("開拓中").sum())


def per_capita(workbook) -> pd.DataFrame:
    """Per 地区 with 人口: resources per 1,000 residents, and サロン・通いの場 per 1,000 aged 65+."""
    areas = workbook[schema.AREAS]
    res = workbook[schema.RESOURCES]
    rows = []
    for name, pop, aging in zip(areas["地区名"], areas["人口"], areas["高齢化率"]):
        if pd.isna(pop) or not pop:
            continue
        here = res[res["地区"] == name]
        older = pop * aging / 100 if not pd.isna(aging) else None
        seniors = int(here["種別"].isin(SENIOR_KINDS).sum())
        rows.append({"地区": name, "人口": int(pop), "65歳以上（推計）": round(older) if older else None,
                     "資源／千人": round(len(here) / pop * 1000, 2),
                     "サロン・通いの場／65歳以上千人": round(seniors / older * 1000, 2) if older else None})
    return pd.DataFrame(rows, columns=["地区", "人口", "65歳以上（推計）", "資源／千人", "サロン・通いの場／65歳以上千人"])


def gap_summary(workbook, kinds: tuple[str, ...] = CORE_KINDS) -> list[str]:
    """Plain sentences for the 定例会議: 「東部には相談窓口・居場所がありません」."""
    table = coverage(workbook)
    lines = []
    for row in table.to_dict("records"):
        missing = [k for k in kinds if row.get(k, 0) == 0]
        if missing:
            lines.append(f"{row['地区']}には{'・'.join(missing)}がありません")
    none_accepting = [k for k in kinds if not (workbook[schema.RESOURCES]["種別"].eq(k)
                                               & workbook[schema.RESOURCES]["受入可"].eq("はい")).any()]
    if none_accepting:
        lines.append(f"町全体で、いま受け入れのできる{'・'.join(none_accepting)}がありません")
    return lines


@dataclass(frozen=True)
class Suggestion:
    resource_id: str
    name: str
    kind: str
    area: str | None
    distance_km: float | None
    reasons: tuple[str, ...]


def suggest(workbook, household_id: str, widen: bool = False, limit: int = 10) -> list[Suggestion]:
    """Resources that fit a household: kinds that help its 課題 or serve its members' 分野;
    never one still 開拓中; only 受入可=はい unless `widen`; same 地区 first, then nearest to the household's 地区 centre."""
    hh = workbook[schema.HOUSEHOLDS]
    row = hh[hh["世帯ID"] == household_id]
    if row.empty:
        return []
    row = row.iloc[0]
    members = workbook[schema.MEMBERS]
    fields = {f for cell in members[members["世帯ID"] == household_id]["分野"] for f in cell}
    wanted: dict[str, list[str]] = {}
    for issue in row["課題"]:
        for kind in ISSUE_KINDS.get(issue, ()):
            wanted.setdefault(kind, []).append(issue)
    centre = _centres(workbook).get(row["地区"])
    out = []
    for r in workbook[schema.RESOURCES].to_dict("records"):
        if r.get("状態") == "開拓中" or (not widen and r["受入可"] != "はい"):
            continue                 # a resource still being developed takes nobody yet
        reasons = []
        if r["種別"] in wanted:
            reasons.append(f"課題「{'・'.join(wanted[r['種別']])}」に合う種別（{r['種別']}）")
        shared = sorted(fields & set(r["分野"]))
        if shared:
            reasons.append(f"世帯員の分野（{'・'.join(shared)}）に対応")
        if not reasons:
            continue
        same = r["地区"] is not None and r["地区"] == row["地区"]
        km = None
        if centre and not pd.isna(r["緯度"]) and not pd.isna(r["経度"]):
            km = distance_km(centre[0], centre[1], r["緯度"], r["経度"])
        if same:
            reasons.insert(0, f"同じ地区（{r['地区']}）")
        if km is not None:
            reasons.append(f"地区の中心から約{km:.1f}km")
        if r["受入可"] != "はい":
            reasons.append("受入可ではありません（確認が必要）")
        out.append((not same, km if km is not None else math.inf, r["名称"],
                    Suggestion(r["資源ID"], r["名称"], r["種別"], r["地区"], km, tuple(reasons))))
    return [s for *_, s in sorted(out, key=lambda t: t[:3])][:limit]


def households_to_match(workbook) -> list[str]:
    """Households a 参加支援 suggestion makes sense for: active ones."""
    hh = workbook[schema.HOUSEHOLDS]
    return list(hh.loc[~hh["段階"].isin(CLOSED_STAGES), "世帯ID"])
