"""The 家族構成図 (genogram) and the エコマップ of one household, drawn as SVG (pure).

Genogram — from the 世帯員 rows: □ male, ○ female, ◇ unknown (性別, else read from 続柄); the 本人
doubled; a deceased member (死亡 はい) crossed; partners joined by a line, their children hanging
from it; a dashed line round those who live together (同居 いいえ: drawn dashed and marked 別居). Where
each member stands comes from their 続柄 to the 本人 (父・母 above, 子 below, 孫 further down);
a 続柄 the table does not know is placed by age.

エコマップ — the household in the middle and around it the agencies working with it: the 主担当
(a thick line), the agencies named in the plan's 役割分担, those asked through a つなぎ
(accepted: a line; waiting: a dashed line), and the 受入先 of its 参加支援 (a green line).

Every text is escaped; projected, the caller passes pseudonymised rows (年代, no names).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape

import pandas as pd

from lib.casework.board import GENERATION_GAP_YEARS
from lib.workbook.cells import nfkc

# 続柄 (to the 本人) → (generation, role): role joins people with lines.
RELATIONS: dict[str, tuple[int, str]] = {
    "本人": (0, "self"), "世帯主": (0, "self"),
    **{w: (0, "partner") for w in ("妻", "夫", "配偶者", "内縁の妻", "内縁の夫", "パートナー")},
    **{w: (-1, "parent") for w in ("父", "母", "実父", "実母", "義父", "義母", "養父", "養母")},
    **{w: (-2, "grandparent") for w in ("祖父", "祖母")},
    **{w: (0, "sibling") for w in ("兄", "弟", "姉", "妹", "兄弟", "姉妹")},
    **{w: (1, "child") for w in ("子", "長男", "次男", "三男", "四男", "長女", "次女", "三女", "四女", "息子", "娘",
                                 "養子", "孫息子以外の子")},
    **{w: (1, "child_partner") for w in ("嫁", "婿", "子の配偶者")},
    **{w: (2, "grandchild") for w in ("孫", "孫息子", "孫娘")},
}
FEMALE_WORDS = ("母", "妻", "娘", "女", "姉", "妹", "嫁", "祖母")
MALE_WORDS = ("父", "夫", "息子", "男", "兄", "弟", "婿", "祖父")
SEX_WORDS = {"男": "M", "男性": "M", "M": "M", "女": "F", "女性": "F", "F": "F"}
YES = ("はい", "あり", "○", "〇", "yes", "1", "true")

SIZE = 40            # a member's square / circle
STEP_X, STEP_Y = 110, 120
MARGIN = 30


@dataclass
class Person:
    index: int
    mark: str
    relation: str
    generation: int
    role: str
    sex: str                  # M, F or ?
    age_text: str
    deceased: bool
    together: bool
    mate: int | None = None       # a child's partner (嫁・婿): the index of the child they are drawn beside
    x: float = 0.0
    y: float = 0.0


def _yes(value) -> bool:
    return isinstance(value, str) and nfkc(value).strip().lower() in YES


def sex(relation: str | None, stated=None) -> str:
    """'M', 'F' or '?': the 性別 column when it says, else the 続柄 word."""
    if isinstance(stated, str) and nfkc(stated).strip() in SEX_WORDS:
        return SEX_WORDS[nfkc(stated).strip()]
    rel = nfkc(relation or "").strip()
    if rel and any(rel.endswith(w) for w in FEMALE_WORDS):
        return "F"
    if rel and any(rel.endswith(w) for w in MALE_WORDS):
        return "M"
    return "?"


def _age(row: dict, today_year: int | None) -> int | None:
    age = row.get("年齢")
    if age is not None and not pd.isna(age):
        return int(age)
    born = row.get("生年")
    if today_year and born is not None and not pd.isna(born):
        return today_year - int(born)
    return None


def people(members: pd.DataFrame, projection: bool = False, today_year: int | None = None) -> list[Person]:
    """The members placed in generations relative to the 本人 (unknown 続柄: by age)."""
    rows = members.to_dict("records")
    ages = [_age(r, today_year) for r in rows]
    self_index = next((i for i, r in enumerate(rows) if nfkc(r.get("続柄") or "").strip() == "本人"),
                      next((i for i, r in enumerate(rows) if nfkc(r.get("続柄") or "").strip() == "世帯主"), None))
    self_age = ages[self_index] if self_index is not None else None
    out = []
    for i, r in enumerate(rows):
        relation = nfkc(r.get("続柄") or "").strip()
        generation, role = RELATIONS.get(relation, (None, "other"))
        if generation is None:
            if ages[i] is not None and self_age is not None:
                generation = round((self_age - ages[i]) / GENERATION_GAP_YEARS)
                generation = max(-2, min(2, generation))
            else:
                generation = 0
        if projection:
            age_text = str(r.get("年代") or "")
        else:
            age_text = f"{ages[i]}歳" if ages[i] is not None else ""
        if i != self_index and role == "self":
            role = "other"                      # a 世帯主 beside a 本人
        out.append(Person(i, str(r.get("記号") or ""), relation, generation, "self" if i == self_index else role,
                          sex(relation, r.get("性別")), age_text, _yes(r.get("死亡")),
                          not (isinstance(r.get("同居"), str) and nfkc(r["同居"]).strip() in ("いいえ", "なし", "別居"))))
    levels = sorted({p.generation for p in out})          # no empty generation between two drawn ones
    for p in out:
        p.generation = levels.index(p.generation) - (levels.index(0) if 0 in levels else 0)
    children = [p for p in out if p.role == "child"]
    for p in out:
        if p.role == "child_partner" and children:
            p.mate = next((c for c in children if "?" not in (c.sex, p.sex) and c.sex != p.sex), children[0]).index
    return out


def _order(row: list[Person]) -> list[Person]:
    """Left to right within a generation: siblings, the 本人, the partner; children older first,
    each child's partner beside them; men before women among parents."""
    rank = {"grandparent": 0, "parent": 0, "sibling": 1, "self": 2, "partner": 3, "child": 4, "grandchild": 6, "other": 7}
    def age(p: Person) -> int:
        digits = "".join(ch for ch in p.age_text if ch.isdigit())
        return -int(digits) if digits else 0
    placed = sorted((p for p in row if p.role != "child_partner"),
                    key=lambda p: (rank.get(p.role, 7), 0 if p.sex == "M" else 1 if p.sex == "F" else 2, age(p)))
    for p in (p for p in row if p.role == "child_partner"):
        at = next((k for k, q in enumerate(placed) if q.index == p.mate), len(placed) - 1)
        placed.insert(at + 1, p)
    return placed


def layout(persons: list[Person]) -> tuple[float, float]:
    """Place each person (x, y of the shape's centre); returns the drawing's width and height."""
    if not persons:
        return 2 * MARGIN + SIZE, 2 * MARGIN + SIZE
    top = min(p.generation for p in persons)
    rows: dict[int, list[Person]] = {}
    for p in persons:
        rows.setdefault(p.generation, []).append(p)
    widest = max(len(r) for r in rows.values())
    width = 2 * MARGIN + max(widest - 1, 0) * STEP_X + SIZE + 60
    for generation, row in rows.items():
        ordered = _order(row)
        start = (width - (len(ordered) - 1) * STEP_X) / 2
        for k, p in enumerate(ordered):
            p.x, p.y = start + k * STEP_X, MARGIN + SIZE / 2 + (generation - top) * STEP_Y
    height = MARGIN * 2 + (max(rows) - top) * STEP_Y + SIZE + 40
    return width, height


def _shape(p: Person) -> str:
    half = SIZE / 2
    style = 'fill="#ffffff" stroke="#333333" stroke-width="2"'
    if not p.together:
        style = 'fill="#f4f4f4" stroke="#777777" stroke-width="1.5" stroke-dasharray="4 3"'
    if p.sex == "M":
        parts = [f'<rect x="{p.x - half}" y="{p.y - half}" width="{SIZE}" height="{SIZE}" {style}/>']
        if p.role == "self":
            parts.append(f'<rect x="{p.x - half + 4}" y="{p.y - half + 4}" width="{SIZE - 8}" height="{SIZE - 8}" '
                         'fill="none" stroke="#333333" stroke-width="1.5"/>')
    elif p.sex == "F":
        parts = [f'<circle cx="{p.x}" cy="{p.y}" r="{half}" {style}/>']
        if p.role == "self":
            parts.append(f'<circle cx="{p.x}" cy="{p.y}" r="{half - 4}" fill="none" stroke="#333333" stroke-width="1.5"/>')
    else:
        points = f"{p.x},{p.y - half} {p.x + half},{p.y} {p.x},{p.y + half} {p.x - half},{p.y}"
        parts = [f'<polygon points="{points}" {style}/>']
        if p.role == "self":
            inner = f"{p.x},{p.y - half + 6} {p.x + half - 6},{p.y} {p.x},{p.y + half - 6} {p.x - half + 6},{p.y}"
            parts.append(f'<polygon points="{inner}" fill="none" stroke="#333333" stroke-width="1.5"/>')
    if p.deceased:
        parts.append(f'<line x1="{p.x - half}" y1="{p.y - half}" x2="{p.x + half}" y2="{p.y + half}" stroke="#333333" stroke-width="2"/>'
                     f'<line x1="{p.x + half}" y1="{p.y - half}" x2="{p.x - half}" y2="{p.y + half}" stroke="#333333" stroke-width="2"/>')
    status = "・".join(w for w, on in (("死亡", p.deceased), ("別居", not p.together)) if on)
    label = [t for t in (p.mark, p.relation if p.relation != p.mark else "", p.age_text, status) if t]
    for k, text in enumerate(label[:4]):
        parts.append(f'<text x="{p.x}" y="{p.y + half + 14 + k * 13}" font-size="11" text-anchor="middle">{escape(text)}</text>')
    return "".join(parts)


def _line(x1, y1, x2, y2, extra: str = "") -> str:
    return f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#333333" stroke-width="1.5"{extra}/>'


def _couple(a: Person | None, b: Person | None) -> tuple[float, float] | None:
    """Where a couple's children hang from: the middle of the line between them, or beside a lone parent."""
    if a and b:
        return (a.x + b.x) / 2, (a.y + b.y) / 2
    one = a or b
    return (one.x + SIZE / 2 + 16, one.y) if one else None


def links(persons: list[Person]) -> list[str]:
    """Partnership lines, and parent–child lines hanging from them."""
    by_role: dict[str, list[Person]] = {}
    for p in persons:
        by_role.setdefault(p.role, []).append(p)
    first = lambda role: (by_role.get(role) or [None])[0]          # noqa: E731
    out: list[str] = []

    def partners(a: Person | None, b: Person | None) -> tuple[float, float] | None:
        """A line between two partners at the height of their shapes (the labels below stay clear)."""
        if a and b:
            left, right = sorted((a, b), key=lambda p: p.x)
            out.append(_line(left.x + SIZE / 2, left.y, right.x - SIZE / 2, right.y))
        return _couple(a, b)

    def hang(origin: tuple[float, float] | None, children: list[Person], lone: Person | None = None) -> None:
        if origin is None or not children:
            return
        if lone is not None:                          # one parent: a short line from the side of the shape
            out.append(_line(lone.x + SIZE / 2, lone.y, origin[0], origin[1]))
        bar = children[0].y - SIZE / 2 - 22
        xs = [c.x for c in children] + [origin[0]]
        out.append(_line(origin[0], origin[1], origin[0], bar) + _line(min(xs), bar, max(xs), bar))
        out.extend(_line(c.x, bar, c.x, c.y - SIZE / 2) for c in children)

    me = first("self")
    if me is None and len(by_role.get("partner", [])) >= 2:     # 夫・妻 written without a 本人: the couple itself
        me, by_role["partner"] = by_role["partner"][0], by_role["partner"][1:]
    parents = by_role.get("parent", [])
    father = next((p for p in parents if p.sex == "M"), None)
    mother = next((p for p in parents if p.sex == "F" and p is not father), None)
    grandparents = by_role.get("grandparent", [])
    if grandparents and parents:
        pair = (grandparents + [None])[:2]
        hang(partners(*pair), [father or mother], lone=None if pair[1] else pair[0])
    partner = first("partner")
    children = by_role.get("child", [])
    if parents:
        below = [p for p in [*by_role.get("sibling", []), me] if p] or ([] if partner else children)
        hang(partners(father, mother), below, lone=None if father and mother else (father or mother or parents[0]))
    if me:
        hang(partners(me, partner), children, lone=None if partner else me)
    couples = []
    for spouse in by_role.get("child_partner", []):
        mate = next((c for c in children if c.index == spouse.mate), None)
        if mate is not None:
            couples.append((mate, spouse))
            partners(mate, spouse)
    grandchildren = by_role.get("grandchild", [])
    if grandchildren and children:
        hang(_couple(*couples[0]) if couples else _couple(children[0], None), grandchildren,
             lone=None if couples else children[0])
    return out


def genogram_svg(members: pd.DataFrame, projection: bool = False, today_year: int | None = None) -> str:
    """The household's genogram as an SVG document (empty households: a note)."""
    persons = people(members, projection, today_year)
    width, height = layout(persons)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
             f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="sans-serif" role="img" aria-label="家族構成図">']
    if not persons:
        parts.append(f'<text x="{MARGIN}" y="{MARGIN + 20}" font-size="12">世帯員がまだ入っていません</text>')
    together = [p for p in persons if p.together]
    if together:
        left = min(p.x for p in together) - SIZE / 2 - 14
        right = max(p.x for p in together) + SIZE / 2 + 30
        top = min(p.y for p in together) - SIZE / 2 - 14
        bottom = max(p.y for p in together) + SIZE / 2 + 48
        parts.append(f'<rect x="{left:.1f}" y="{top:.1f}" width="{right - left:.1f}" height="{bottom - top:.1f}" rx="16" '
                     'fill="none" stroke="#6b7280" stroke-width="1.5" stroke-dasharray="6 4"/>'
                     f'<text x="{right - 4:.1f}" y="{top + 14:.1f}" font-size="10" text-anchor="end" fill="#6b7280">同居</text>')
    parts += links(persons)
    parts += [_shape(p) for p in persons]
    parts.append("</svg>")
    return "".join(parts)


# ---------------------------------------------------------------- エコマップ

@dataclass
class Tie:
    """One agency around the household, and how it is tied."""

    name: str
    kind: str                     # 主担当, 役割分担, つなぎ（受理）, つなぎ（依頼中）
    notes: list[str] = field(default_factory=list)


TIE_STYLE = {"主担当": 'stroke-width="5"', "役割分担": 'stroke-width="2"', "つなぎ（受理）": 'stroke-width="2"',
             "つなぎ（依頼中）": 'stroke-width="2" stroke-dasharray="6 4"', "参加支援": 'stroke-width="3" stroke="#15803d"'}


def ties(household: dict, plans: pd.DataFrame, referrals: pd.DataFrame, names_agency, agencies: list[str],
         matchings=()) -> list[Tie]:
    """The agencies around one household: 主担当, those named in 役割分担 and in its つなぎ, and the
    受入先 of its 参加支援 still going on (one tie each, the strongest kind; `names_agency(text, agency)`
    tells whether a 役割分担 text names an agency)."""
    found: dict[str, Tie] = {}
    order = list(TIE_STYLE)

    def add(name: str, kind: str, note: str = "") -> None:
        if not name:
            return
        tie = found.get(name)
        if tie is None or order.index(kind) < order.index(tie.kind):
            found[name] = Tie(name, kind, tie.notes if tie else [])
        if note and note not in found[name].notes:
            found[name].notes.append(note)

    add(household.get("主担当機関") or "", "主担当")
    for roles in plans.get("役割分担", pd.Series(dtype=object)).dropna():
        for agency in agencies:
            if names_agency(roles, agency):
                add(agency, "役割分担")
    for r in referrals.to_dict("records"):
        if r.get("状態") == "受理":
            add(r.get("依頼先機関") or "", "つなぎ（受理）", r.get("種類") or "")
        elif r.get("状態") == "依頼中":
            add(r.get("依頼先機関") or "", "つなぎ（依頼中）", r.get("種類") or "")
    for m in matchings:
        if m.step != "中断":
            add(m.resource, "参加支援", f"{m.target} {m.step}")
    return list(found.values())


def ecomap_text(center: str, around: list[Tie]) -> str:
    """The ecomap in words, its text alternative: each kind of tie with its agencies (what the line
    widths, dashes and the green line say in the drawing)."""
    kinds: dict[str, list[str]] = {}
    for tie in around:
        kinds.setdefault(tie.kind, []).append(tie.name)
    listed = "。".join(f"{kind}: {'、'.join(names)}" for kind, names in kinds.items())
    return f"エコマップ（{center}にかかわる機関）。" + (listed or "かかわる機関はまだ記録されていません")


def ecomap_svg(center: str, around: list[Tie]) -> str:
    """The household (`center`: its name or pseudonym) in the middle, the agencies on a circle."""
    count = max(len(around), 1)
    radius = 150 if count <= 6 else 190
    box_w, box_h = 150, 34
    width, height = 2 * (radius + box_w / 2 + MARGIN), 2 * (radius + box_h + MARGIN)
    cx, cy = width / 2, height / 2
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
             f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="sans-serif" role="img" aria-label="エコマップ">']
    spots = []
    for k, tie in enumerate(around):
        angle = -math.pi / 2 + 2 * math.pi * k / count
        x, y = cx + radius * math.cos(angle), cy + radius * math.sin(angle)
        spots.append((x, y))
        style = TIE_STYLE.get(tie.kind, "")
        colour = "" if "stroke=" in style else 'stroke="#334155" '
        parts.append(f'<line x1="{cx:.1f}" y1="{cy:.1f}" x2="{x:.1f}" y2="{y:.1f}" {colour}{style}/>')
    parts.append(f'<ellipse cx="{cx:.1f}" cy="{cy:.1f}" rx="62" ry="30" fill="#fef3c7" stroke="#92400e" stroke-width="2"/>'
                 f'<text x="{cx:.1f}" y="{cy + 4:.1f}" font-size="13" text-anchor="middle">{escape(center[:12])}</text>')
    for (x, y), tie in zip(spots, around):
        parts.append(f'<rect x="{x - box_w / 2:.1f}" y="{y - box_h / 2:.1f}" width="{box_w}" height="{box_h}" rx="6" '
                     'fill="#ffffff" stroke="#334155" stroke-width="1.5"/>'
                     f'<text x="{x:.1f}" y="{y - 2:.1f}" font-size="11" text-anchor="middle">{escape(tie.name[:14])}</text>'
                     f'<text x="{x:.1f}" y="{y + 11:.1f}" font-size="9" text-anchor="middle" fill="#475569">'
                     f'{escape("・".join([tie.kind, *tie.notes])[:20])}</text>')
    if not around:
        parts.append(f'<text x="{cx:.1f}" y="{cy + 60:.1f}" font-size="12" text-anchor="middle">'
                     'かかわる機関はまだ記録されていません</text>')
    parts.append("</svg>")
    return "".join(parts)
