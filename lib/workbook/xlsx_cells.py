"""Edit single cells and append rows inside an .xlsx/.xlsm package, leaving everything else as it was.

A save through openpyxl re-serialises the whole file and drops cached formula results, charts,
images and shapes. Here only the touched worksheets' XML is changed (the written cells, the
appended rows and the sheet's dimension), plus, when a date needs a date format, one cell style
added to styles.xml, and `fullCalcOnLoad` in workbook.xml so that Excel recomputes formulas whose
inputs changed. Every other part of the package is copied byte for byte.

Text is written as inline strings (sharedStrings.xml is not touched) and never as a formula.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from posixpath import join, normpath

from lxml import etree

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
# Built-in number formats that show a date (ECMA-376 §18.8.30, plus the Japanese ones):
BUILTIN_DATE_FORMATS = {*range(14, 18), 22, *range(27, 37), *range(50, 59)}
# The format given to a written date whose cell had none: 2026/12/15
DATE_FORMAT_ID = 14
# Characters XML 1.0 cannot carry (control characters other than tab, LF, CR):
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_REF = re.compile(r"^([A-Z]+)(\d+)$")
# Deflate level for the saved package: every part is compressed again, and level 1 does it several
# times faster than the default for a few percent more bytes (the parts' contents are unchanged):
ZIP_LEVEL = 1


class PackageError(Exception):
    """The file is not an xlsx package this module can edit (no workbook part, a missing sheet)."""


def _q(tag: str) -> str:
    return f"{{{MAIN}}}{tag}"


def column_letters(index: int) -> str:
    """0 → A, 26 → AA."""
    letters, n = "", index + 1
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def column_index(letters: str) -> int:
    """A → 0, AA → 26."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


@dataclass
class Edits:
    """What one save writes: cells by (sheet title, 1-based row, 0-based column) and rows to append."""

    cells: list[tuple[str, int, int, object]] = field(default_factory=list)
    appends: list[tuple[str, list]] = field(default_factory=list)   # (title, rows) or (title, one row)
    new_sheets: list[str] = field(default_factory=list)             # empty sheets to add first, by title


CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
WORKSHEET_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
EMPTY_SHEET = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}" xmlns:r="{REL}">'
               '<dimension ref="A1"/><sheetData/></worksheet>').encode()


def _add_sheets(files: dict[str, bytes], titles: list[str]) -> set[str]:
    """Add empty worksheets at the end of the workbook (part, relationship, content type and
    <sheet> entry); returns the package parts changed."""
    book = etree.fromstring(files["xl/workbook.xml"])
    rels_part = "xl/_rels/workbook.xml.rels"
    rels = etree.fromstring(files.get(rels_part, f'<Relationships xmlns="{PKG_REL}"/>'.encode()))
    types = etree.fromstring(files["[Content_Types].xml"])
    sheets = book.find(_q("sheets"))
    for title in titles:
        n = 1
        while f"xl/worksheets/sheet{n}.xml" in files:
            n += 1
        part = f"xl/worksheets/sheet{n}.xml"
        files[part] = EMPTY_SHEET
        used = {r.get("Id") for r in rels}
        rid = next(f"rId{k}" for k in range(1, len(used) + 2) if f"rId{k}" not in used)
        etree.SubElement(rels, f"{{{PKG_REL}}}Relationship", Id=rid, Type=WORKSHEET_REL, Target=f"worksheets/sheet{n}.xml")
        etree.SubElement(types, f"{{{CONTENT_TYPES}}}Override", PartName=f"/{part}", ContentType=WORKSHEET_TYPE)
        sheet_id = max((int(s.get("sheetId", 0)) for s in sheets), default=0) + 1
        etree.SubElement(sheets, _q("sheet"), {"name": title, "sheetId": str(sheet_id), f"{{{REL}}}id": rid})
    files["xl/workbook.xml"], files[rels_part] = _serialise(book), _serialise(rels)
    files["[Content_Types].xml"] = _serialise(types)
    return {"xl/workbook.xml", rels_part, "[Content_Types].xml"}


def _sheet_parts(files: dict[str, bytes]) -> dict[str, str]:
    """Sheet title → its part name (xl/worksheets/sheet1.xml)."""
    if "xl/workbook.xml" not in files:
        raise PackageError("xl/workbook.xml がありません")
    book = etree.fromstring(files["xl/workbook.xml"])
    rels = etree.fromstring(files.get("xl/_rels/workbook.xml.rels", b"<Relationships/>"))
    targets = {r.get("Id"): r.get("Target") for r in rels.iter(f"{{{PKG_REL}}}Relationship")}
    parts = {}
    for sheet in book.iter(_q("sheet")):
        target = targets.get(sheet.get(f"{{{REL}}}id"), "")
        parts[sheet.get("name")] = target.lstrip("/") if target.startswith("/") else normpath(join("xl", target))
    return parts


class _Styles:
    """cellXfs of styles.xml: which styles show dates, and one added date style when needed."""

    def __init__(self, data: bytes | None):
        self.tree = etree.fromstring(data) if data else None
        self.changed = False
        self._added: int | None = None
        self.date_styles: set[int] = set()
        if self.tree is None:
            return
        custom = {int(f.get("numFmtId")): f.get("formatCode", "") for f in self.tree.iter(_q("numFmt"))}
        xfs = self.tree.find(_q("cellXfs"))
        for i, xf in enumerate([] if xfs is None else xfs.findall(_q("xf"))):
            fmt = int(xf.get("numFmtId", "0"))
            if fmt in BUILTIN_DATE_FORMATS or (fmt in custom and _is_date_code(custom[fmt])):
                self.date_styles.add(i)

    def date_style(self) -> int | None:
        """The index of a plain date style, added once to cellXfs (None when there are no styles)."""
        if self.tree is None:
            return None
        if self._added is None:
            xfs = self.tree.find(_q("cellXfs"))
            if xfs is None:
                return None
            for i, xf in enumerate(xfs.findall(_q("xf"))):     # the one an earlier save added
                if (xf.get("numFmtId"), xf.get("fontId"), xf.get("fillId"), xf.get("borderId")) == (
                        str(DATE_FORMAT_ID), "0", "0", "0") and xf.get("applyNumberFormat") == "1":
                    self._added = i
                    self.date_styles.add(i)
                    return i
            xf = etree.SubElement(xfs, _q("xf"), numFmtId=str(DATE_FORMAT_ID), fontId="0", fillId="0",
                                  borderId="0", xfId="0", applyNumberFormat="1")
            xf.tail = xfs[0].tail if len(xfs) > 1 else None
            xfs.set("count", str(len(xfs.findall(_q("xf")))))
            self._added = len(xfs.findall(_q("xf"))) - 1
            self.date_styles.add(self._added)
            self.changed = True
        return self._added


def _is_date_code(code: str) -> bool:
    """Whether a custom number format shows a date (y, m with d, or the Japanese era g/e)."""
    bare = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.', "", code).lower()
    return bool(re.search(r"[yge]", bare) or ("d" in bare and "m" in bare))


def _serial(value: dt.date) -> float:
    if isinstance(value, dt.datetime):
        return (value - EXCEL_EPOCH).total_seconds() / 86400
    return float((value - EXCEL_EPOCH.date()).days)


class _Sheet:
    """One worksheet's XML with its rows indexed by number."""

    def __init__(self, data: bytes):
        self.tree = etree.fromstring(data)
        self.data = self.tree.find(_q("sheetData"))
        if self.data is None:
            raise PackageError("sheetData がありません")
        self.rows: dict[int, etree._Element] = {}
        # Cells without r (allowed; few writers omit it) follow the previous one: number them first.
        unnumbered = bool(self.data.xpath("boolean(m:row/m:c[not(@r)])", namespaces={"m": MAIN}))
        n = 0
        for row in self.data.iterchildren(_q("row")):
            if row.get("r") is None:
                row.set("r", str(n + 1))
            n = int(row.get("r"))
            self.rows[n] = row
            if not unnumbered:
                continue
            col = -1
            for c in row.findall(_q("c")):
                if c.get("r") is None:
                    c.set("r", f"{column_letters(col + 1)}{n}")
                col = column_index(_REF.match(c.get("r")).group(1))

    def last_used_row(self) -> int:
        """The last row holding a value (formatted empty rows do not count)."""
        for n in sorted(self.rows, reverse=True):
            if any(c.find(_q("v")) is not None or c.find(_q("is")) is not None or c.find(_q("f")) is not None
                   for c in self.rows[n].findall(_q("c"))):
                return n
        return 0

    def row(self, n: int) -> etree._Element:
        if n in self.rows:
            return self.rows[n]
        new = etree.Element(_q("row"), r=str(n))
        later = [k for k in self.rows if k > n]
        if later:
            self.rows[min(later)].addprevious(new)
        else:
            self.data.append(new)
        self.rows[n] = new
        return new

    def cell(self, n: int, col: int) -> etree._Element:
        row = self.row(n)
        ref = f"{column_letters(col)}{n}"
        after = None
        for c in row.findall(_q("c")):
            at = column_index(_REF.match(c.get("r")).group(1))
            if at == col:
                return c
            if at > col:
                after = c
                break
        new = etree.Element(_q("c"), r=ref)
        if after is not None:
            after.addprevious(new)
        else:
            row.append(new)
        if row.get("spans"):                      # spans is only a hint; drop it rather than be wrong
            del row.attrib["spans"]
        return new

    def grow_dimension(self, last_row: int, last_col: int) -> None:
        dim = self.tree.find(_q("dimension"))
        if dim is None:
            return
        ref = dim.get("ref", "A1")
        first, _, last = ref.partition(":")
        m = _REF.match(last or first)
        if not m:
            return
        rows, cols = max(int(m.group(2)), last_row), max(column_index(m.group(1)), last_col)
        dim.set("ref", f"{first if last else 'A1'}:{column_letters(cols)}{rows}")


def _set(cell: etree._Element, value, styles: _Styles) -> None:
    """Replace a cell's content with `value`, keeping its style (a date gets a date style if needed)."""
    for child in list(cell):
        cell.remove(child)
    for attr in ("t", "cm", "vm"):
        cell.attrib.pop(attr, None)
    if value is None or value == "":
        return
    if isinstance(value, bool):
        cell.set("t", "b")
        etree.SubElement(cell, _q("v")).text = "1" if value else "0"
    elif isinstance(value, (int, float)):
        etree.SubElement(cell, _q("v")).text = repr(value) if isinstance(value, float) else str(value)
    elif isinstance(value, dt.date):
        etree.SubElement(cell, _q("v")).text = repr(_serial(value)).removesuffix(".0")
        style = int(cell.get("s", "0"))
        if style not in styles.date_styles:
            date_style = styles.date_style()
            if date_style is not None:
                cell.set("s", str(date_style))
    else:
        cell.set("t", "inlineStr")
        text = etree.SubElement(etree.SubElement(cell, _q("is")), _q("t"))
        text.text = _ILLEGAL.sub("", str(value))
        text.set(XML_SPACE, "preserve")


def _serialise(tree: etree._Element) -> bytes:
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", standalone=True)


def _recalculate_on_load(book: etree._Element) -> None:
    """Ask Excel to recompute every formula when the file is next opened."""
    calc = book.find(_q("calcPr"))
    if calc is None:
        calc = etree.Element(_q("calcPr"))
        anchor = book.find(_q("definedNames"))
        (anchor if anchor is not None else book.find(_q("sheets"))).addnext(calc)
    calc.set("fullCalcOnLoad", "1")


def apply(data: bytes, edits: Edits) -> tuple[bytes, int, list[tuple[str, int]]]:
    """The package with `edits` carried out, the number of cells written, and (title, row) of
    every appended row."""
    try:
        zin = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as e:
        raise PackageError(str(e)) from None
    infos = zin.infolist()
    files = {i.filename: zin.read(i.filename) for i in infos}
    added = _add_sheets(files, edits.new_sheets) if edits.new_sheets else set()
    parts = _sheet_parts(files)
    styles_part = "xl/styles.xml"
    styles = _Styles(files.get(styles_part))
    sheets: dict[str, _Sheet] = {}

    def sheet(title: str) -> _Sheet:
        if title not in sheets:
            if title not in parts or parts[title] not in files:
                raise PackageError(f"シート「{title}」が見つかりません")
            sheets[title] = _Sheet(files[parts[title]])
        return sheets[title]

    written = 0
    for title, row, col, value in edits.cells:
        _set(sheet(title).cell(row, col), value, styles)
        sheet(title).grow_dimension(row, col)
        written += 1
    appended = []
    for title, rows in edits.appends:
        target = sheet(title)
        for values in (rows if rows and isinstance(rows[0], list) else [rows]):
            n = target.last_used_row() + 1
            for col, value in enumerate(values):
                if value not in (None, ""):
                    _set(target.cell(n, col), value, styles)
                    written += 1
            target.grow_dimension(n, max(len(values) - 1, 0))
            appended.append((title, n))
    if not written:
        return data, 0, []

    changed = {parts[t]: _serialise(s.tree) for t, s in sheets.items()}
    if styles.changed:
        changed[styles_part] = _serialise(styles.tree)
    changed.update({p: files[p] for p in added})
    book = etree.fromstring(files["xl/workbook.xml"])
    _recalculate_on_load(book)
    changed["xl/workbook.xml"] = _serialise(book)

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compresslevel=ZIP_LEVEL) as zout:
        for info in infos:
            info._compresslevel = ZIP_LEVEL      # read by writestr (3.11–3.12; 3.13's compress_level wraps it)
            zout.writestr(info, changed.get(info.filename, files[info.filename]))
        for part in sorted(changed.keys() - {i.filename for i in infos}):
            zout.writestr(part, changed[part], compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue(), written, appended
