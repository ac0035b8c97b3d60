"""つなぎ・つなぎもどし・引継ぎ: requests between agencies and their answers, as write plans (pure).

The seeds' flow: a 相談支援機関 that cannot resolve a case alone つなぐ it to 多機関協働 (or to
another agency); 多機関協働 つなぎもどす it to a lead agency once a plan exists; at 終結 a lead
agency keeps accompanying the household (引継ぎ).

- A request is a new つなぎ row (状態 依頼中). Only the requester's own households can be referred,
  only to an agency of the 機関 tab, and a 支援会議 (no consent) case only to a 支援会議構成員.
- An answer fills that row's 状態・応答日・応答者・応答コメント, only while it is 依頼中 and only by
  the recipient agency (受理, 差し戻し with a reason) or the requester (取り下げ); the row is
  re-read at the save, so a second answer is refused naming the first.
- Accepting a つなぎもどし or 引継ぎ makes the recipient 主担当機関; the 段階 follows the flow
  (STAGE_ON_ACCEPT) with a 段階履歴 row.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from lib.casework.agencies import directory as agency_directory, is_member, key as agency_key, named, same
from lib.casework.entry import Invalid, Checker, next_id
from lib.casework.households import track
from lib.workbook import schema
from lib.workbook.cells import to_wareki
from lib.workbook.validate import Workbook
from lib.workbook.writeplan import CellChange, NewRow, WritePlan, row_as_read

REFERRAL, RETURN_TO_LEAD, HAND_OVER = schema.REFERRAL_KINDS
PENDING, ACCEPTED, RETURNED, WITHDRAWN = schema.REFERRAL_STATES
# How a late answer is told what became of the request:
ALREADY = {ACCEPTED: "受理されています", RETURNED: "差し戻されています", WITHDRAWN: "取り下げられています"}
# Where a household goes when a request of this kind is accepted (DESIGN "Flow of a case"):
# 相談受付 → つなぎ → インテーク・アセスメント; つなぎもどし once the plan exists → 支援の実施.
STAGE_ON_ACCEPT = {REFERRAL: {"受付": "アセスメント"}, RETURN_TO_LEAD: {"プラン作成": "支援中"}, HAND_OVER: {}}
# Kinds whose recipient becomes the household's 主担当機関 when it accepts:
LEAD_ON_ACCEPT = (RETURN_TO_LEAD, HAND_OVER)
FIRST_ID = "T-0001"
INBOX_COLUMNS = ["つなぎID", "世帯ID", "表示名", "種類", "依頼元機関", "依頼内容", "依頼日", "経過日数", "期限超過"]


def request(workbook: Workbook, household_id: str, *, sender: str, recipient, kind, text, today: dt.date,
            by: str, taken: set[str]) -> WritePlan:
    """A new request (依頼中) from `sender` about a household of `workbook` (the requester's scope)."""
    check = Checker()
    household = row_as_read(workbook, schema.HOUSEHOLDS, household_id)
    if household is None:
        raise Invalid({"世帯": f"世帯ID「{household_id}」の世帯は、つなげる世帯の中にありません"})
    recipient = check.cell("依頼先機関", schema.REFERRALS, "依頼先機関", recipient, required=True)
    kind = check.cell("種類", schema.REFERRALS, "種類", kind, required=True)
    text = check.cell("依頼内容", schema.REFERRALS, "依頼内容", text, required=True)
    tab = agency_directory(workbook)
    if recipient and not tab.known(recipient):
        check.fail("依頼先機関", f"「{recipient}」は機関タブにありません")
    elif recipient and same(recipient, sender):
        check.fail("依頼先機関", "自分の機関にはつなげません")
    elif recipient and track(household["同意"]) == schema.SHIEN_KAIGI and not is_member(workbook, recipient):
        check.fail("依頼先機関", f"同意のない世帯（支援会議）は、支援会議構成員の機関にだけつなげます（{recipient} は構成員ではありません）")
    if not sender or not tab.known(sender):
        check.fail("依頼元機関", "依頼元の機関が機関タブにありません（所属機関を確かめてください）")
    referrals = workbook[schema.REFERRALS]
    open_same = referrals[(referrals["世帯ID"] == household_id) & (referrals["依頼先機関"].map(agency_key) == agency_key(recipient))
                          & (referrals["種類"] == kind) & (referrals["状態"] == PENDING)]
    if len(open_same):
        check.fail("依頼先機関", f"同じ依頼がまだ依頼中です（{open_same['つなぎID'].iloc[0]}）")
    check.done()
    values = {"つなぎID": next_id(taken, FIRST_ID), "世帯ID": household_id, "依頼日": today, "依頼元機関": sender,
              "依頼先機関": recipient, "種類": kind, "依頼内容": text, "状態": PENDING}
    return WritePlan(appends=[NewRow(schema.REFERRALS, values, unique="つなぎID")])


def respond(workbook: Workbook, referral_id: str, *, action: str, agency: str | None, by: str, comment: str,
            today: dt.date) -> WritePlan:
    """An answer to a request: 受理 or 差し戻し by the recipient agency, 取り下げ by the requester.
    `workbook` is the whole workbook: the recipient may not see the household before it accepts."""
    row = row_as_read(workbook, schema.REFERRALS, referral_id)
    if row is None:
        raise Invalid({"依頼": f"つなぎID「{referral_id}」の依頼が見つかりません"})
    if row["状態"] != PENDING:          # answered or withdrawn since the page was read: say what happened
        when = row["応答日"].date() if hasattr(row["応答日"], "date") else row["応答日"]
        by_whom = "、".join(x for x in (row["応答者"] or "", to_wareki(when) if when else "") if x)
        raise Invalid({"応答": f"この依頼はもう{ALREADY.get(row['状態'], row['状態'] + 'です')}"
                               + (f"（{by_whom}）" if by_whom else "") + "。応答は保存していません。"})
    check = Checker()
    answerer = row["依頼元機関"] if action == WITHDRAWN else row["依頼先機関"]
    if action not in (ACCEPTED, RETURNED, WITHDRAWN):
        check.fail("応答", "受理・差し戻し・取り下げのどれかです")
    elif not same(agency, answerer):
        who = "依頼した機関" if action == WITHDRAWN else "依頼先の機関"
        check.fail("応答", f"この依頼に{action}で応答できるのは{who}（{answerer}）の人だけです")
    comment = check.cell("応答コメント", schema.REFERRALS, "応答コメント", comment)
    if action == RETURNED and not comment:
        check.fail("応答コメント", "差し戻すときは理由を書いてください")
    check.done()
    plan = WritePlan(expected={(schema.REFERRALS, referral_id): row})
    wanted = {"状態": action, "応答日": today, "応答者": by, "応答コメント": comment}
    plan.changes = [CellChange(schema.REFERRALS, referral_id, c, row[c], v) for c, v in wanted.items() if v != row[c]]
    if action != ACCEPTED:
        return plan
    hid = row["世帯ID"]
    household = row_as_read(workbook, schema.HOUSEHOLDS, hid)
    if household is None:
        raise Invalid({"世帯": f"依頼の世帯（{hid}）がシートにありません"})
    changes = {}
    if row["種類"] in LEAD_ON_ACCEPT:
        changes.update({"主担当機関": row["依頼先機関"], "担当者": by})
    stage = STAGE_ON_ACCEPT[row["種類"]].get(household["段階"])
    if stage:
        changes["段階"] = stage
        plan.appends.append(NewRow(schema.STAGE_HISTORY, {
            "世帯ID": hid, "日付": today, "旧段階": household["段階"], "新段階": stage,
            "理由": f"{row['種類']}の受理（{row['依頼元機関']} → {row['依頼先機関']}）", "記入者": by}))
    household_changes = [CellChange(schema.HOUSEHOLDS, hid, c, household[c], v) for c, v in changes.items()
                         if v != household[c]]
    if household_changes:
        plan.expected[(schema.HOUSEHOLDS, hid)] = household
        plan.changes += household_changes
    return plan


def hand_over(workbook: Workbook, household_id: str, *, sender: str, watcher: str, today: dt.date, by: str,
              taken: set[str]) -> NewRow:
    """The 引継ぎ request a closure sends to the agency that keeps watching the household."""
    return request(workbook, household_id, sender=sender, recipient=watcher, kind=HAND_OVER,
                   text="終結にともなう見守りの引継ぎをお願いします（評価シートをご覧ください）", today=today,
                   by=by, taken=taken).appends[0]


def pending(workbook: Workbook, today: dt.date) -> pd.DataFrame:
    """Every 依頼中 request with its age in days (oldest first)."""
    referrals = workbook[schema.REFERRALS]
    waiting = referrals[referrals["状態"] == PENDING].copy()
    waiting["経過日数"] = [(today - d.date()).days for d in waiting["依頼日"]]
    return waiting.sort_values(["依頼日", "つなぎID"])


def waiting_days(workbook: Workbook, today: dt.date) -> dict[str, int]:
    """世帯ID → days its oldest unanswered request has waited (board and home flag those past the setting)."""
    waiting = pending(workbook, today)
    return {hid: int(days) for hid, days in waiting.groupby("世帯ID")["経過日数"].max().items()}


def answers_to(workbook: Workbook, agency: str) -> pd.DataFrame:
    """Requests this agency sent, newest first, with their answers (the requester sees the answer)."""
    referrals = workbook[schema.REFERRALS]
    mine = referrals[referrals["依頼元機関"].map(agency_key) == agency_key(agency)]
    return mine.sort_values(["依頼日", "つなぎID"], ascending=False)


# ---------------------------------------------------------------- counts (計画指標)

def count(workbook: Workbook, key: str, year_filter) -> float:
    """つなぎ件数・つなぎもどし件数・引継ぎ件数 (requests made in the year), 受理件数・差し戻し件数
    (requests accepted / returned, answered in the year) and 平均応答日数 (mean days from request to answer, of requests answered
    — accepted or returned — in the year; 0 when none)."""
    referrals = workbook[schema.REFERRALS]
    kinds = {"つなぎ件数": REFERRAL, "つなぎもどし件数": RETURN_TO_LEAD, "引継ぎ件数": HAND_OVER}
    if key in kinds:
        return int((referrals["種類"].eq(kinds[key]) & year_filter(referrals["依頼日"])).sum())
    answered = referrals[year_filter(referrals["応答日"])]
    if key == "受理件数":
        return int(answered["状態"].eq(ACCEPTED).sum())
    if key == "差し戻し件数":
        return int(answered["状態"].eq(RETURNED).sum())
    if key == "平均応答日数":
        answered = answered[answered["状態"].isin((ACCEPTED, RETURNED))]
        days = [(a - r).days for a, r in zip(answered["応答日"], answered["依頼日"])]
        return round(sum(days) / len(days), 1) if days else 0
    raise KeyError(key)


def by_recipient(workbook: Workbook, year_filter) -> pd.DataFrame:
    """Requests made in the year (依頼日) per 依頼先機関 (as the 機関 tab spells it), by 種類, with how
    many of them were accepted or returned by now; agencies with the most requests first."""
    referrals = workbook[schema.REFERRALS]
    made = referrals[year_filter(referrals["依頼日"])]
    spell = agency_directory(workbook).spelling
    rows: dict[str, dict] = {}
    for recipient, kind, state in zip(made["依頼先機関"], made["種類"], made["状態"]):
        row = rows.setdefault(spell(recipient), dict.fromkeys((*schema.REFERRAL_KINDS, "うち受理", "うち差し戻し"), 0))
        row[kind] += 1
        row["うち受理"] += state == ACCEPTED
        row["うち差し戻し"] += state == RETURNED
    frame = pd.DataFrame([{"依頼先機関": a, **r} for a, r in rows.items()],
                         columns=["依頼先機関", *schema.REFERRAL_KINDS, "うち受理", "うち差し戻し"])
    return frame.assign(_n=frame[list(schema.REFERRAL_KINDS)].sum(axis=1)).sort_values(
        ["_n", "依頼先機関"], ascending=[False, True], kind="stable").drop(columns="_n").reset_index(drop=True)


# ---------------------------------------------------------------- closure (評価シート, 美咲町 別紙2-6)

EVALUATION_FIELDS = ("対象", "目標", "達成度", "本人・世帯の変化")


# What the 終結 form asks of each connection (つながり評価, 別紙2-7):
CONNECTION_FIELDS = ("対象", "つながり先", "種類", "安定度", "内容")


def closure(workbook: Workbook, household_id: str, *, day, reason, watcher, goals: list[dict], by: str,
            today: dt.date, taken: set[str], connections: list[dict] | None = None) -> WritePlan:
    """終結: the 段階 move (終結日, 段階履歴), one 評価 row per goal, one つながり評価 row per connection
    the person now has (別紙2-7; lines left empty are skipped, a line without its つながり先 is refused), and — when another agency keeps
    watching the household — the 引継ぎ request to it (依頼中 until it accepts)."""
    from lib.casework.entry import stage_move
    check = Checker()
    rows = []
    # A goal of the plan is evaluated even when left empty (its 達成度 is asked for); an extra line
    # with nothing typed is skipped:
    filled = (g for g in goals if any(str(g.get(c) or "").strip() for c in EVALUATION_FIELDS if c != "対象"))
    for i, goal in enumerate(filled, start=1):
        label = f"評価{i}（{goal.get('対象') or ''}）"
        row = {c: check.cell(f"{label}の{c}", schema.EVALUATIONS, c, goal.get(c)) for c in EVALUATION_FIELDS}
        if not row["達成度"]:
            check.fail(f"{label}の達成度", "達成・一部達成・未達成から選んでください")
        rows.append(row)
    if not rows:
        check.fail("評価", "目標ごとの評価（達成度）を1つ以上入れてください")
    ties = []
    # A line with anything typed is a connection: one without its つながり先 refuses the whole save
    # (a line left out without a word would lose what was typed); an empty line is skipped:
    for i, tie in enumerate(connections or (), start=1):
        if not any(str(tie.get(c) or "").strip() for c in CONNECTION_FIELDS if c != "対象"):
            continue
        label = f"つながり{i}"
        row = {c: check.cell(f"{label}の{c}", schema.CONNECTIONS, c, tie.get(c)) for c in CONNECTION_FIELDS}
        if not row["つながり先"]:
            check.fail(f"{label}のつながり先", "種類・安定度・様子を書いた行には、つながり先（だれ・どこ）も書いてください")
        ties.append(row)
    watcher = check.cell("見守り機関", schema.EVALUATIONS, "見守り機関", watcher)
    if watcher and not agency_directory(workbook).known(watcher):
        check.fail("見守り機関", f"「{watcher}」は機関タブにありません")
    try:
        plan = stage_move(workbook, household_id, stage="終結", day=day, reason=reason, by=by, today=today, evaluated=True)
    except Invalid as e:
        check.errors.update({k: v for k, v in e.errors.items() if k not in check.errors})
        plan = None
    check.done()
    evaluated_on = next(c.new for c in plan.changes if c.column == "終結日") if any(
        c.column == "終結日" for c in plan.changes) else plan.appends[0].values["日付"]
    plan.appends += [NewRow(schema.EVALUATIONS, {"世帯ID": household_id, "評価日": evaluated_on, **row,
                                                 "終結理由": reason, "見守り機関": watcher, "記入者": by})
                     for row in rows]
    plan.appends += [NewRow(schema.CONNECTIONS, {"世帯ID": household_id, "評価日": evaluated_on, **tie, "記入者": by})
                     for tie in ties]
    lead = row_as_read(workbook, schema.HOUSEHOLDS, household_id)["主担当機関"]
    if watcher and not same(watcher, lead):
        plan.appends.append(hand_over(workbook, household_id, sender=lead, watcher=watcher, today=today, by=by,
                                      taken=taken))
    return plan


# ---------------------------------------------------------------- 機関一覧 (directory)

DIRECTORY_COLUMNS = ["機関名", "分野", "事業", "電話", "メール", "所管課", "支援会議構成員", "受けた依頼（依頼中）",
                     "出した依頼（依頼中）", "主担当の世帯", "期限の近い取組"]
# Plan items due within this many days (or overdue) count as 期限の近い取組:
DUE_SOON_DAYS = 14


def directory(workbook: Workbook, today: dt.date) -> pd.DataFrame:
    """The 機関 tab as a directory: contact details, open requests to and from each agency, and its
    load — active households it leads, and open plan items naming it in 役割分担 that are due within
    DUE_SOON_DAYS or overdue. Counts come from `workbook` as the viewer may see it."""
    agencies = workbook[schema.AGENCIES]
    names = list(agencies["機関名"])
    waiting = workbook[schema.REFERRALS]
    waiting = waiting[waiting["状態"] == PENDING]
    to = waiting["依頼先機関"].map(agency_key).value_counts()
    sent = waiting["依頼元機関"].map(agency_key).value_counts()
    hh = workbook[schema.HOUSEHOLDS]
    leads = hh[~hh["段階"].isin(schema.CLOSED_STAGES)]["主担当機関"].dropna().map(agency_key).value_counts()
    plans = workbook[schema.PLANS]
    soon = today + dt.timedelta(days=DUE_SOON_DAYS)
    due = plans[plans["状況"].isin(schema.PLAN_OPEN_STATUS) & plans["期限"].notna()]
    due = due[due["期限"].dt.date <= soon]
    carried = [named(r, names) for r in due["役割分担"]]
    rows = []
    for r in agencies.to_dict("records"):
        key = agency_key(r["機関名"])
        rows.append({"機関名": r["機関名"], "分野": "、".join(r["分野"]), "事業": "、".join(r["事業"]), "電話": r["電話"],
                     "メール": r["メール"], "所管課": r["所管課"], "支援会議構成員": r["支援会議構成員"],
                     "受けた依頼（依頼中）": int(to.get(key, 0)), "出した依頼（依頼中）": int(sent.get(key, 0)),
                     "主担当の世帯": int(leads.get(key, 0)), "期限の近い取組": sum(key in c for c in carried)})
    return pd.DataFrame(rows, columns=DIRECTORY_COLUMNS)
