"""Meeting paperwork from an agenda: 鹿屋市 重層会議様式1–4, as Excel and PDF.

Forms are built once as data (titles, paragraphs, tables) and rendered twice, so the Excel
and the PDF always say the same thing. Every text cell in the Excel is formula-neutralised.
PDF text uses reportlab's built-in Japanese CID font: no font file is needed at run time.
"""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

import pandas as pd

from lib.meetings import agenda as agenda_rules
from lib.casework import household
from lib.casework.agencies import directory
from lib.casework.entry import assessments
from lib.workbook import schema
from lib.workbook.cells import to_wareki
from lib.workbook.export import neutralise, text_stays_text

# Rows for 参加者 on the 会議報告シート (様式4 prints 14):
REPORT_PARTICIPANT_ROWS = 14
PDF_FONT = "HeiseiKakuGo-W5"


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    widths: list[float]          # relative column widths


@dataclass
class Form:
    """One printed form: code (様式番号), title, then paragraphs (str) and tables in order."""

    code: str
    title: str
    sheet: str
    blocks: list = field(default_factory=list)


def _when(a: agenda_rules.Agenda) -> str:
    return f"{to_wareki(a.date, weekday=True)} {a.when()}"


def _purpose(kind: str) -> str:
    return {agenda_rules.JUSOU: "世帯の支援プランの検討・評価、関係機関の役割分担の決定",
            agenda_rules.SHIEN: "支援が必要と思われる世帯の情報共有、見守り・支援体制の検討"}.get(kind, f"{kind}の開催")


def notice(workbook, a: agenda_rules.Agenda, issued: dt.date, sender: str) -> Form:
    """様式1 開催通知, addressed to every agency involved."""
    addressees = agenda_rules.agencies_to_notify(workbook, a)
    blocks = [f"{to_wareki(issued)}", "（宛先）" + "、".join(f"{x} 様" for x in addressees), f"{sender}",
              f"{a.kind}の開催について（通知）",
              f"下記のとおり{a.kind}を開催しますので、御出席くださいますようお願いします。", "記",
              Table(["項目", "内容"], [["日時", _when(a)], ["場所", a.place or "（未定）"], ["議長", a.chair or ""],
                                    ["目的", _purpose(a.kind)], ["検討する世帯", f"{len(a.items)}世帯（詳細は当日の資料）"]],
                    [1, 4])]
    if a.kind == agenda_rules.SHIEN:
        blocks.append("【守秘義務】" + agenda_rules.SECRECY_NOTICE)
    return Form("重層会議様式1", f"{a.kind}開催通知", "様式1 開催通知", blocks)


def order_of_business(workbook, a: agenda_rules.Agenda) -> Form:
    """様式2 会次第: time per household and the agencies taking part."""
    names = dict(zip(workbook[schema.HOUSEHOLDS]["世帯ID"], workbook[schema.HOUSEHOLDS]["表示名"]))
    rows = [[str(i), f"{names.get(p.household_id, p.household_id)}（{p.household_id}）",
             agenda_rules.clock_range(start, end, a.date), "・".join(p.reasons)]
            for i, (p, start, end) in enumerate(a.schedule(), start=1)]
    agencies = agenda_rules.agencies_to_notify(workbook, a)
    blocks = [f"日時　{_when(a)}", f"場所　{a.place or '（未定）'}", f"議長　{a.chair or ''}",
              "1　開会", "2　参加機関紹介", "3　世帯ごとの検討（現状及び課題の共有、当面の支援方針と役割分担）",
              Table(["番号", "世帯", "時間", "理由"], rows, [0.6, 3, 1.6, 3]),
              "4　その他", "5　閉会", "構成機関：" + "、".join(agencies)]
    if a.kind == agenda_rules.SHIEN:
        blocks.append("【守秘義務】" + agenda_rules.SECRECY_NOTICE)
    return Form("重層会議様式2", f"{a.kind} 会次第", "様式2 会次第", blocks)


def _plan_table(workbook, household_id: str, header: list[str]) -> Table:
    """The household's plan in the seeds' layout: one row per 世帯員, then 危機介入 and その他."""
    members = workbook[schema.MEMBERS]
    plans = workbook[schema.PLANS]
    sheet = household.plan_sheet(plans[plans["世帯ID"] == household_id], members[members["世帯ID"] == household_id])
    rows = [[_text(r["対象"]), _text(r["目標"]), _text(r["検討内容"]), _text(r["当面の取組事項"]), _text(r["役割分担"])]
            for r in sheet.to_dict("records")]
    return Table(header, rows, [1, 2.4, 2.4, 2.4, 2.4])


def _household_name(workbook, household_id: str) -> str:
    hh = workbook[schema.HOUSEHOLDS]
    found = hh.loc[hh["世帯ID"] == household_id, "表示名"]
    return str(found.iloc[0]) if len(found) else household_id


def review_sheet(workbook, a: agenda_rules.Agenda, household_id: str, start: dt.datetime, end: dt.datetime) -> Form:
    """様式3 世帯支援プラン検討シート, pre-filled from the household's current plan."""
    name = _household_name(workbook, household_id)
    return Form("重層会議様式3", f"{name}支援プラン検討シート", f"様式3 {household_id}"[:31],
                [f"{to_wareki(a.date, weekday=True)} {agenda_rules.clock_range(start, end, a.date)}　世帯ID {household_id}",
                 _plan_table(workbook, household_id, ["氏名", "目標", "検討内容", "当面の取組事項", "役割分担"])])


PLAN_SHEET_HEADER = ["氏名", "目標", "検討内容", "重層的支援会議結果（当面の取組事項）", "重層的支援会議結果（役割分担）"]


def plan_sheet(workbook, household_id: str, when: str) -> Form:
    """様式5 世帯支援プランシート: the plan as the meeting left it (`when`: the meeting's date and time,
    or the day it is printed), with the household's 主担当機関 and 次回見直し日."""
    hh = workbook[schema.HOUSEHOLDS]
    row = hh[hh["世帯ID"] == household_id].iloc[0]
    review = to_wareki(row["次回見直し日"].date()) if pd.notna(row["次回見直し日"]) else "（未定）"
    return Form("重層会議様式5", f"{_household_name(workbook, household_id)}支援プランシート",
                f"様式5 {household_id}"[:31],
                [f"{when}　世帯ID {household_id}",
                 f"主担当機関　{_text(row['主担当機関']) or '（未定）'}　　段階　{_text(row['段階'])}　　次回見直し日　{review}",
                 _plan_table(workbook, household_id, PLAN_SHEET_HEADER)])


def plan_sheets(workbook, a: agenda_rules.Agenda) -> list[Form]:
    """様式5 for every household of a meeting (the plan after the meeting's decisions)."""
    known = set(workbook[schema.HOUSEHOLDS]["世帯ID"])
    return [plan_sheet(workbook, p.household_id, _when(a)) for p in a.items if p.household_id in known]


def report_sheet(workbook, a: agenda_rules.Agenda, saved=None, reporter: tuple[str, str] = ("", "")) -> Form:
    """様式4 会議報告シート. From a saved meeting (lib.meetings.writeback.Saved): 報告事項 per household
    from its recorded decisions and changed plan rows, and 参加者 as recorded — who came, and 欠席
    for invited agencies that did not. Before the meeting: the invited agencies, 出席者 blank."""
    tab = directory(workbook)
    if saved is not None and saved.attendance:
        people = [(x.agency, x.names or "出席") if x.present else (x.agency, "欠席") for x in saved.attendance]
    else:
        people = [(name, "") for name in agenda_rules.agencies_to_notify(workbook, a)]
    rows = [[str(i + 1), tab.fields(agency), tab.spelling(agency), who] for i, (agency, who) in enumerate(people)]
    rows += [[str(i + 1), "", "", ""] for i in range(len(rows), REPORT_PARTICIPANT_ROWS)]
    present = [who for _, who in people if who and who != "欠席"]
    persons = sum(len([n for n in who.replace("、", "・").split("・") if n.strip()]) if who != "出席" else 1
                  for who in present)
    report = ""
    if saved is not None:
        lines = []
        for p in a.items:
            hid = p.household_id
            parts = [saved.decisions.get(hid, "").replace("\n", "　")]
            if saved.plan_changes.get(hid):
                parts.append("プラン: " + saved.plan_changes[hid])
            text = "　".join(x for x in parts if x)
            lines.append(f"{_household_name(workbook, hid)}（{hid}）：{text or '（決定事項の記録なし）'}")
        report = "\n".join(lines)
    return Form("重層会議様式4", "会議報告シート", "様式4 会議報告シート", [
        Table(["項目", "内容"], [["所属", reporter[0]], ["氏名", reporter[1]], ["日時", _when(a)], ["場所", a.place or ""],
                               ["目的", f"{_purpose(a.kind)}（{a.kind}・{len(a.items)}世帯）"], ["報告事項", report]], [1, 5]),
        f"参加者　機関 {len(present)}　人 {persons}" if saved is not None and saved.attendance else "参加者",
        Table(["", "分野", "機関名", "出席者"], rows, [0.4, 1.6, 3, 2])])


def minutes_form(workbook, a: agenda_rules.Agenda, saved) -> Form:
    """議事録: per agenda item, what was discussed (議事録) and decided (決定事項), as recorded."""
    rows = [[str(i), f"{_household_name(workbook, p.household_id)}（{p.household_id}）",
             agenda_rules.clock_range(start, end, a.date),
             saved.minutes.get(p.household_id, ""), saved.decisions.get(p.household_id, "")]
            for i, (p, start, end) in enumerate(a.schedule(), start=1)]
    blocks = [f"{a.kind}　{_when(a)}　場所 {a.place or ''}　議長 {a.chair or ''}",
              Table(["番号", "世帯", "時間", "議事録", "決定事項"], rows or [["", "", "", "", ""]], [0.5, 2, 1.2, 4, 3])]
    if saved.minutes.get(""):
        blocks.append("その他: " + saved.minutes[""])
    if a.kind == agenda_rules.SHIEN:
        blocks.append("【守秘義務】" + agenda_rules.SECRECY_NOTICE)
    return Form("議事録", f"{a.kind} 議事録", "議事録", blocks)


def _text(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value)


def forms(workbook, a: agenda_rules.Agenda, issued: dt.date, sender: str = "みどり町 福祉課", saved=None,
          reporter: tuple[str, str] = ("", "")) -> list[Form]:
    """All paperwork for an agenda: 様式1, 様式2, one 様式3 per household, 様式4 — filled from the
    saved meeting when there is one, followed by its 議事録."""
    known = set(workbook[schema.HOUSEHOLDS]["世帯ID"])
    out = [notice(workbook, a, issued, sender), order_of_business(workbook, a)]
    out += [review_sheet(workbook, a, p.household_id, s, e) for p, s, e in a.schedule() if p.household_id in known]
    out.append(report_sheet(workbook, a, saved, reporter))
    if saved is not None:
        out.append(minutes_form(workbook, a, saved))
    return out


def file_stem(a: agenda_rules.Agenda) -> str:
    """File name of the paperwork: date and 種別 (e.g. 20261125_重層的支援会議_会議書類)."""
    return f"{a.date:%Y%m%d}_{a.kind}_会議書類"


def to_xlsx(form_list: list[Form]) -> bytes:
    """One tab per form; every text cell neutralised and stored as text."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    thin = Side(style="thin", color="000000")
    book = Workbook()
    book.remove(book.active)
    for form in form_list:
        ws = book.create_sheet(form.sheet.replace("/", "／")[:31])
        ws.append([form.code])
        ws.append([neutralise(form.title)])
        ws["A2"].font = Font(size=14, bold=True)
        widest = 1
        for block in form.blocks:
            if isinstance(block, Table):
                ws.append([neutralise(h) for h in block.header])
                for cell in ws[ws.max_row]:
                    cell.font = Font(bold=True)
                    cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
                for row in block.rows:
                    ws.append([neutralise(v) for v in row])
                    for cell in ws[ws.max_row]:
                        cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
                        cell.alignment = Alignment(wrap_text=True, vertical="top")
                widest = max(widest, len(block.header))
                for i, w in enumerate(block.widths):
                    letter = chr(65 + i)
                    ws.column_dimensions[letter].width = max(ws.column_dimensions[letter].width or 0, 12 * w)
            else:
                ws.append([neutralise(block)])
        text_stays_text(ws)
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_pdf(form_list: list[Form]) -> bytes:
    """A4 PDF, one form per page (tables split across pages when long)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer
    from reportlab.platypus import Table as PdfTable
    from reportlab.platypus import TableStyle

    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    body = ParagraphStyle("body", fontName=PDF_FONT, fontSize=10, leading=14, wordWrap="CJK")
    small = ParagraphStyle("small", parent=body, fontSize=9, leading=12)
    title = ParagraphStyle("title", parent=body, fontSize=15, leading=20, alignment=1, spaceAfter=6)
    code = ParagraphStyle("code", parent=body, fontSize=8, textColor=colors.grey)

    def p(text, style=body):
        from xml.sax.saxutils import escape
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    width = A4[0] - 30 * mm
    story = []
    for n, form in enumerate(form_list):
        if n:
            story.append(PageBreak())
        story += [p(f"（{form.code}）", code), p(form.title, title)]
        for block in form.blocks:
            if isinstance(block, Table):
                total = sum(block.widths)
                data = [[p(h, small) for h in block.header]] + [[p(v, small) for v in row] for row in block.rows]
                table = PdfTable(data, colWidths=[width * w / total for w in block.widths], repeatRows=1)
                table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                                           ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                                           ("VALIGN", (0, 0), (-1, -1), "TOP")]))
                story += [Spacer(1, 3 * mm), table, Spacer(1, 3 * mm)]
            else:
                story.append(p(block))
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                      bottomMargin=15 * mm, title="会議書類").build(story)
    return buffer.getvalue()


def evaluation_sheet(workbook, household_id: str) -> Form:
    """評価シート (美咲町 別紙2-6) of a household's latest closure: one row per goal, with the
    reason for closing and the agency that keeps watching, then its つながり評価 (別紙2-7)."""
    hh = workbook[schema.HOUSEHOLDS]
    name = hh.loc[hh["世帯ID"] == household_id, "表示名"].iloc[0]
    rows = workbook[schema.EVALUATIONS]
    rows = rows[rows["世帯ID"] == household_id]
    if len(rows):
        rows = rows[rows["評価日"] == rows["評価日"].max()]
    first = rows.iloc[0] if len(rows) else None
    day = to_wareki(first["評価日"].date()) if first is not None else ""
    goals = [[_text(r["対象"]), _text(r["目標"]), _text(r["達成度"]), _text(r["本人・世帯の変化"])]
             for r in rows.to_dict("records")]
    return Form("別紙2-6", f"{name} 評価シート（支援終結）", f"評価シート {household_id}"[:31], [
        f"評価日　{day}　世帯ID {household_id}　記入者 {_text(first['記入者']) if first is not None else ''}",
        Table(["対象", "目標", "達成度", "本人・世帯の変化"], goals or [["", "", "", ""]], [1, 3, 1.2, 3.6]),
        Table(["項目", "内容"], [["終結理由", _text(first["終結理由"]) if first is not None else ""],
                               ["見守り機関（引継ぎ先）", _text(first["見守り機関"]) if first is not None else ""]], [1.4, 5]),
        "つながり評価（別紙2-7）",
        Table(["対象", "つながり先", "種類", "安定度", "様子"], _ties(workbook, household_id, first) or [[""] * 5],
              [0.8, 2.2, 1, 0.8, 2.8])])


def _ties(workbook, household_id: str, evaluation) -> list[list[str]]:
    """The つながり評価 rows of the household's latest closure (the same 評価日)."""
    ties = workbook[schema.CONNECTIONS]
    ties = ties[ties["世帯ID"] == household_id]
    if evaluation is not None:
        ties = ties[ties["評価日"] == evaluation["評価日"]]
    return [[_text(r[c]) for c in ("対象", "つながり先", "種類", "安定度", "内容")] for r in ties.to_dict("records")]


def assessment_sheet(workbook, household_id: str) -> Form:
    """インテーク・アセスメントシート (美咲町 別紙2-3) of the household's latest assessment: who
    lives there (世帯員), then each heading of the sheet with what was seen."""
    name = _household_name(workbook, household_id)
    latest = assessments(workbook, household_id)
    row = latest.iloc[0].to_dict() if len(latest) else {}
    members = workbook[schema.MEMBERS]
    members = members[members["世帯ID"] == household_id]
    day = to_wareki(row["実施日"].date()) if row.get("実施日") is not None and not pd.isna(row["実施日"]) else ""
    people = [[_text(r["記号"]), _text(r["続柄"]), _text(r["年齢"]), _text("、".join(r["分野"]) if isinstance(r["分野"], list) else r["分野"])]
              for r in members.to_dict("records")]
    return Form("別紙2-3", f"{name} インテーク・アセスメントシート", f"アセスメント {household_id}"[:31], [
        f"実施日　{day}　世帯ID {household_id}　対象 {_text(row.get('対象'))}　"
        f"機関 {_text(row.get('機関'))}　記入者 {_text(row.get('記入者'))}",
        Table(["記号", "続柄", "年齢", "分野"], people or [["", "", "", ""]], [1, 1.2, 0.8, 2]),
        Table(["項目", "内容"], [[field_name, _text(row.get(field_name))] for field_name in schema.ASSESSMENT_FIELDS], [1.3, 5.2])])
