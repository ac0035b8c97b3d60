"""The 実施状況報告 as files: an A4 PDF to print and an Excel workbook to edit, both from one
lib.report.figures.Report (only its printed figures), with its charts rendered offline to PNG by
vl-convert from the very Altair charts the screens draw."""
from __future__ import annotations

import functools
import io
from xml.sax.saxutils import escape

import pandas as pd

from lib.report import mask
from lib.report.figures import MEASURE_COLUMNS, Report, Section, measure_frame
from lib.meetings.paperwork import PDF_FONT
from lib.workbook.cells import to_wareki
from lib.workbook.export import neutralise, text_stays_text

CHART_SCALE = 2
LEGEND = (f"1〜2の数は、人が分かることのないよう「{mask.SMALL}」と書いています。その数を含む合計は、ありうる幅"
          f"（例 12〜14）で書き、増減と達成率は「{mask.HIDDEN}」にしています。社会資源と会議の数はそのまま書いています。"
          "「推計」は、数えるのに使うタブや列がシートにないため、ほかの記録から見積もった数です。")
NO_TEXT = "（所見は未記入です。プラン進捗の「実施状況報告」で書けます）"


def chart_png(chart) -> bytes:
    """An Altair chart as PNG, rendered without a browser or the network (the PDF and the Excel
    file of one report draw each chart once)."""
    return _png(chart.to_json())


@functools.lru_cache(maxsize=16)
def _png(spec: str) -> bytes:
    import vl_convert

    return vl_convert.vegalite_to_png(spec, scale=CHART_SCALE)


def _charts(report: Report) -> dict[tuple[int, int], bytes]:
    return {(i, j): chart_png(t.chart) for i, s in enumerate(report.sections)
            for j, t in enumerate(s.tables) if t.chart is not None}


def cover_lines(report: Report) -> list[str]:
    return [f"{report.town}", f"作成日 {to_wareki(report.made)}"]


def _section_title(n: int, section: Section) -> str:
    return f"{n}. {section.programme}"


# ---------------------------------------------------------------- PDF

def to_pdf(report: Report) -> bytes:
    """A4 portrait: a cover (町名, 年度, 作成日, how small counts are written), then a page or more per
    事業: its 所見, its figures and its tables, each chart above its table."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Image, KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer
    from reportlab.platypus import Table as PdfTable
    from reportlab.platypus import TableStyle

    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    body = ParagraphStyle("body", fontName=PDF_FONT, fontSize=10, leading=15, wordWrap="CJK")
    small = ParagraphStyle("small", parent=body, fontSize=8.5, leading=11)
    heading = ParagraphStyle("heading", parent=body, fontSize=14, leading=20, spaceBefore=2, spaceAfter=6)
    sub = ParagraphStyle("sub", parent=body, fontSize=11, leading=16, spaceBefore=6, spaceAfter=3)
    cover = ParagraphStyle("cover", parent=body, fontSize=20, leading=30, alignment=1)
    centred = ParagraphStyle("centred", parent=body, fontSize=13, leading=22, alignment=1)
    width = A4[0] - 36 * mm

    def p(text, style=body):
        return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)

    def grid(frame: pd.DataFrame, widths: list[float] | None = None) -> PdfTable:
        data = [[p(c, small) for c in frame.columns]] + [[p(v, small) for v in row] for row in frame.astype(str).values]
        columns = widths or [width / len(frame.columns)] * len(frame.columns)
        table = PdfTable(data, colWidths=columns, repeatRows=1)
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                                   ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        return table

    pictures = _charts(report)
    story = [Spacer(1, 60 * mm), p(report.title, cover), Spacer(1, 12 * mm)]
    story += [p(line, centred) for line in cover_lines(report)]
    story += [Spacer(1, 30 * mm), p("この報告の数の書き方", sub), p(LEGEND)]
    story += [Spacer(1, 6 * mm), p("目次", sub)]
    story += [p(_section_title(n, s)) for n, s in enumerate(report.sections, start=1)]
    measure_widths = [w * width for w in (0.27, 0.06, 0.09, 0.11, 0.11, 0.09, 0.08, 0.19)]
    for n, section in enumerate(report.sections, start=1):
        story += [PageBreak(), p(_section_title(n, section), heading), p("所見", sub),
                  p(section.text or NO_TEXT), p("指標", sub), grid(measure_frame(section), measure_widths)]
        for line in section.lines:
            story.append(p(f"・{line}"))
        for j, table in enumerate(section.tables):
            block = [p(table.title, sub)]
            if (n - 1, j) in pictures:
                png = pictures[(n - 1, j)]
                image = Image(io.BytesIO(png))
                scale = min(1.0, width * 0.8 / image.imageWidth)
                image.drawWidth, image.drawHeight = image.imageWidth * scale, image.imageHeight * scale
                block.append(image)
            if table.note:
                block.append(p(table.note, small))
            block += [Spacer(1, 2 * mm), grid(table.shown)]
            story.append(KeepTogether(block) if len(table.shown) <= 14 else block[0])
            if len(table.shown) > 14:
                story += block[1:]

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont(PDF_FONT, 8)
        canvas.drawCentredString(A4[0] / 2, 10 * mm, f"{report.town}　{report.title}　{doc.page}")
        canvas.restoreState()

    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                      bottomMargin=18 * mm, title=report.title, author=report.town).build(
        story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


# ---------------------------------------------------------------- Excel

def to_xlsx(report: Report) -> bytes:
    """One tab for the cover and one per 事業 (its 所見, figures and tables, each chart beside its
    table); every cell is text or a number as printed, never a formula."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="000000")
    box = Border(top=thin, bottom=thin, left=thin, right=thin)
    pictures = _charts(report)
    book = Workbook()
    ws = book.active
    ws.title = "表紙"
    ws.append([report.title])
    ws["A1"].font = Font(size=16, bold=True)
    for line in cover_lines(report):
        ws.append([line])
    ws.append([])
    ws.append(["この報告の数の書き方"])
    ws.append([LEGEND])
    ws.column_dimensions["A"].width = 110
    ws.cell(ws.max_row, 1).alignment = Alignment(wrap_text=True, vertical="top")

    def put(sheet, frame: pd.DataFrame) -> None:
        sheet.append([str(c) for c in frame.columns])
        for cell in sheet[sheet.max_row]:
            cell.font, cell.border = Font(bold=True), box
            cell.fill = PatternFill("solid", fgColor="EEEEEE")
        for row in frame.values:
            sheet.append([_xlsx_cell(v) for v in row])
            for cell in sheet[sheet.max_row]:
                cell.border = box

    for n, section in enumerate(report.sections, start=1):
        sheet = book.create_sheet(section.programme[:31])
        sheet.append([_section_title(n, section)])
        sheet["A1"].font = Font(size=14, bold=True)
        sheet.append(["所見"])
        sheet.append([neutralise(section.text or NO_TEXT)])
        sheet.cell(sheet.max_row, 1).alignment = Alignment(wrap_text=True, vertical="top")
        sheet.merge_cells(start_row=sheet.max_row, start_column=1, end_row=sheet.max_row, end_column=len(MEASURE_COLUMNS))
        sheet.row_dimensions[sheet.max_row].height = max(30, 15 * (len(section.text or "") // 60 + 1))
        sheet.append([])
        put(sheet, measure_frame(section))
        for line in section.lines:
            sheet.append([neutralise(f"・{line}")])
        for j, table in enumerate(section.tables):
            sheet.append([])
            sheet.append([table.title])
            sheet.cell(sheet.max_row, 1).font = Font(size=12, bold=True)
            if table.note:
                sheet.append([table.note])
            top = sheet.max_row + 1
            put(sheet, table.shown)
            if (n - 1, j) in pictures:
                place_chart(sheet, pictures[(n - 1, j)], f"J{top}", len(table.shown))
        sheet.column_dimensions["A"].width = 30
        for letter in "BCDEFGH":
            sheet.column_dimensions[letter].width = 13
        text_stays_text(sheet)
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.page_setup.fitToHeight = 0
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def place_chart(sheet, png: bytes, anchor: str, rows_beside: int) -> None:
    """A chart's PNG at `anchor` of an openpyxl sheet, at its drawn size, with empty rows appended
    below what stands beside it so that the next block starts under the picture (rows of ~20 px)."""
    from openpyxl.drawing.image import Image
    image = Image(io.BytesIO(png))
    image.width, image.height = image.width / CHART_SCALE, image.height / CHART_SCALE
    sheet.add_image(image, anchor)
    for _ in range(max(0, int(image.height / 20) - rows_beside)):
        sheet.append([])


def _xlsx_cell(value):
    """A printed figure as a cell: a plain number as a number (sums and charts work in Excel),
    anything else (3未満, 12〜14, —, +3) as text."""
    text = str(value)
    plain = text.replace(",", "")
    if plain.isdigit():
        return int(plain)
    return neutralise(text)
