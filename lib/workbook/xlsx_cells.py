"""Edit single cells and append rows inside an .xlsx/.xlsm package, leaving everything else as it was.

A save through openpyxl re-serialises the whole file and drops cached formula results, charts,
images and shapes. Here only the touched worksheets' XML is changed (the written cells, the
appended rows and the sheet's dimension), plus, when a date needs a date format, one cell style
added to styles.xml, and `fullCalcOnLoad` in workbook.xml so that Excel recomputes formulas whose
inputs changed. Every other part of the package is copied byte for byte.

Text is written as inline strings (sharedStrings.xml is not touched) and never as a formula.
"""
from __future__ import annotations

import copy
import datetime as dt
import io
import re
import struct
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
            if _has_value(self.rows[n]):
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
        if dim is not None:
            dim.set("ref", _grown(dim.get("ref", "A1"), last_row, last_col))


def _grown(ref: str, last_row: int, last_col: int) -> str:
    """A sheet's dimension (A1:K70) grown to take in a cell (0-based column); as it was when odd."""
    first, _, last = ref.partition(":")
    m = _REF.match(last or first)
    if not m:
        return ref
    rows, cols = max(int(m.group(2)), last_row), max(column_index(m.group(1)), last_col)
    return f"{first if last else 'A1'}:{column_letters(cols)}{rows}"


def _has_value(row: etree._Element) -> bool:
    return any(c.find(_q("v")) is not None or c.find(_q("is")) is not None or c.find(_q("f")) is not None
               for c in row.findall(_q("c")))


# The start of a worksheet part up to its root's start tag, when it is the plain UTF-8 shape that
# every writer we know produces (the namespaces declared on the root, no prefix on the elements):
_ROOT = re.compile(rb'\A(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*\?>)?\s*(<worksheet\b[^>]*>)')
_DIMENSION = re.compile(rb'<dimension ref="([A-Z]*[0-9]*(?::[A-Z]+[0-9]+)?)"\s*/>')


def _plain_sheet(data: bytes) -> tuple[bytes, int, int] | None:
    """(the root's start tag, where <sheetData starts, where </sheetData> starts) of a worksheet
    part of the plain shape the in-place edits handle; None for any other."""
    root = _ROOT.match(data)
    if root is None or re.search(rb'encoding="(?!UTF-8"|utf-8")', data[:root.start(1)]):
        return None
    begin, end = data.find(b"<sheetData", root.end()), data.rfind(b"</sheetData>")
    return (root.group(1), begin, end) if 0 <= begin < end else None


def _rows_xml(sheet: _Sheet) -> bytes:
    """The rows of a small `_Sheet` as XML, to go between <sheetData> and </sheetData> of the part
    its root start tag came from (the namespaces are declared there)."""
    made = etree.tostring(sheet.tree, encoding="UTF-8")
    return made[made.index(b"<sheetData>") + len(b"<sheetData>"):made.rindex(b"</sheetData>")]


def _head_grown(data: bytes, begin: int, last_row: int, last_col: int) -> bytes:
    """The part up to <sheetData (at `begin`) with its dimension grown to take in a cell."""
    head = data[:begin]
    dim = _DIMENSION.search(head)
    if dim is None:
        return head
    return head[:dim.start(1)] + _grown(dim.group(1).decode(), last_row, last_col).encode() + head[dim.end(1):]


def _edit_in_place(data: bytes, edits: list[tuple[int, int, object]], styles: _Styles) -> bytes | None:
    """Cells (1-based row, 0-based column, value) written into a worksheet part without parsing
    the rest of it: each touched row is found by its number, edited as `_Sheet` would, and put
    back. None when the part is not of the plain shape, or a row is not there as <row r="N">."""
    plain = _plain_sheet(data)
    if plain is None:
        return None
    start_tag, begin, end = plain
    spans = []
    for n in sorted({row for row, _, _ in edits}):
        start = data.find(b'<row r="%d"' % n, begin, end)
        if start < 0 or data.find(b'<row r="%d"' % n, start + 1, end) >= 0:
            return None
        close = data.find(b">", start, end)
        stop = close + 1 if data[close - 1:close] == b"/" else data.find(b"</row>", start, end) + len(b"</row>")
        if close < 0 or stop < len(b"</row>"):
            return None
        try:
            sheet = _Sheet(start_tag + b"<sheetData>" + data[start:stop] + b"</sheetData></worksheet>")
        except (etree.XMLSyntaxError, PackageError):
            return None
        if list(sheet.rows) != [n]:
            return None
        for row, col, value in edits:
            if row == n:
                _set(sheet.cell(n, col), value, styles)
        spans.append((start, stop, _rows_xml(sheet)))
    for start, stop, made in reversed(spans):
        data = data[:start] + made + data[stop:]
    return _head_grown(data, begin, max(r for r, _, _ in edits), max(c for _, c, _ in edits)) + data[begin:]


def _append_in_place(data: bytes, rows: list[list], styles: _Styles) -> tuple[bytes, list[int], int] | None:
    """`rows` appended after the last row of a worksheet part without parsing the rest of it (a
    town's 経過記録 sheet is tens of MB): the new part, the appended row numbers and the cells
    written. The rows are made as `_Sheet` would make them; None when the part is not of the plain
    shape this handles (then the caller parses it whole): another encoding or a prefixed root, no
    row yet, a last row without a value (formatted empty rows at the end are filled, not passed)."""
    plain = _plain_sheet(data)
    if plain is None:
        return None
    start_tag, begin, end = plain
    last = data.rfind(b"<row", begin, end)
    if last < 0:
        return None
    try:
        tail = etree.fromstring(start_tag + b"<sheetData>" + data[last:end] + b"</sheetData></worksheet>")
    except etree.XMLSyntaxError:
        return None
    if tail.tag != _q("worksheet") or len(tail[0]) != 1 or tail[0][0].tag != _q("row"):
        return None
    row = tail[0][0]
    if not (row.get("r") or "").isdigit() or not _has_value(row):
        return None
    new = _Sheet(start_tag + b"<sheetData/></worksheet>")
    numbers, written = _append_rows(new, rows, styles, int(row.get("r")))
    if not written:
        return data, numbers, 0
    head = _head_grown(data, begin, max(numbers), max(max(len(v) - 1, 0) for v in rows))
    whole = memoryview(data)
    return b"".join((head, whole[begin:end], _rows_xml(new), whole[end:])), numbers, written   # one copy of the part


def rows_added(before: bytes, after: bytes) -> bytes | None:
    """A worksheet part holding only the rows that `after` has below every row of `before` (the
    same sheet's part as an earlier read found it), when all of `before`'s rows are still in
    `after` byte for byte, as an append in place leaves them (the rows another server process
    appended). None for any other change — a cell edited, a row inserted or removed, the file
    saved by Excel (it writes every part anew), nothing added, a shape not handled — and then the
    caller reads the sheet whole."""
    old, new = _plain_sheet(before), _plain_sheet(after)
    if old is None or new is None or old[0] != new[0]:
        return None
    rows = memoryview(before)[old[1]:old[2]]                # <sheetData…> and every row as it was
    if before.find(b"<row", old[1], old[2]) < 0 or not after.startswith(rows, new[1]):
        return None
    added = after[new[1] + len(rows):new[2]]
    if not added.lstrip().startswith(b"<row"):
        return None
    return new[0] + b"<sheetData>" + added + b"</sheetData></worksheet>"


def _append_rows(sheet: _Sheet, rows: list[list], styles: _Styles, last: int) -> tuple[list[int], int]:
    """`rows` written below row `last` (the last one holding a value): their row numbers and the
    cells written (a row of blanks writes nothing and the next row takes its place)."""
    numbers, written = [], 0
    for values in rows:
        n = last + 1
        for col, value in enumerate(values):
            if value not in (None, ""):
                _set(sheet.cell(n, col), value, styles)
                written += 1
                last = n
        sheet.grow_dimension(n, max(len(values) - 1, 0))
        numbers.append(n)
    return numbers, written


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


def as_read(value):
    """What a reader of the saved file (python-calamine, as sources.read_excel) gets back from a
    new cell `_set` wrote `value` into: numbers as floats, text without the characters XML cannot
    carry, "" for nothing (checked against a real read in the tests)."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool) or isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    return _ILLEGAL.sub("", str(value))


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


class _Parts(dict):
    """A package's parts by name, each decompressed the first time it is asked for (a save reads
    the parts it changes; the others are copied as they are)."""

    def __init__(self, package: zipfile.ZipFile):
        super().__init__()
        self.package, self.names = package, {i.filename for i in package.infolist()}

    def __missing__(self, name: str) -> bytes:
        if name not in self.names:
            raise KeyError(name)
        self[name] = self.package.read(name)
        return self[name]

    def __contains__(self, name) -> bool:
        return super().__contains__(name) or name in self.names

    def get(self, name, default=None):
        return self[name] if name in self else default


def _copy_compressed(package: zipfile.ZipFile, info: zipfile.ZipInfo, out: zipfile.ZipFile) -> bool:
    """Copy one member into `out` still compressed, as it was (no inflate and deflate again of
    parts a save does not change). False when it is not a plain member (encrypted, zip64, or its
    local header odd): the caller writes it the usual way."""
    if info.flag_bits & 0x1 or info.file_size >= zipfile.ZIP64_LIMIT or info.compress_size >= zipfile.ZIP64_LIMIT:
        return False
    package.fp.seek(info.header_offset)
    header = package.fp.read(zipfile.sizeFileHeader)
    if len(header) != zipfile.sizeFileHeader or header[:4] != zipfile.stringFileHeader:
        return False
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    package.fp.seek(info.header_offset + zipfile.sizeFileHeader + name_length + extra_length)
    body = package.fp.read(info.compress_size)
    if len(body) != info.compress_size:
        return False
    copied = copy.copy(info)
    copied.flag_bits &= ~0x08                # sizes and CRC go in the local header: no data descriptor
    copied.header_offset = out.fp.tell()
    out.fp.write(copied.FileHeader())
    out.fp.write(body)
    out.filelist.append(copied)
    out.NameToInfo[copied.filename] = copied
    out.start_dir = out.fp.tell()
    out._didModify = True
    return True


def apply(data: bytes, edits: Edits, in_place: set | None = None) -> tuple[bytes, int, list[tuple[str, int]]]:
    """The package with `edits` carried out, the number of cells written, and (title, row) of
    every appended row. `in_place` (when given) gets the titles whose rows all went below the
    last row as new cells (so `as_read` tells what a reader gets back)."""
    try:
        zin = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as e:
        raise PackageError(str(e)) from None
    infos = zin.infolist()
    files = _Parts(zin)
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

    in_place = set() if in_place is None else in_place
    spliced: dict[str, bytes] = {}                 # title → its part edited in place (not parsed)
    by_title: dict[str, list] = {}
    for title, row, col, value in edits.cells:
        by_title.setdefault(title, []).append((row, col, value))
    for title, cells in by_title.items():
        done = _edit_in_place(files[parts[title]], cells, styles) if title in parts and parts[title] in files else None
        if done is not None:
            spliced[title] = done
            continue
        for row, col, value in cells:
            _set(sheet(title).cell(row, col), value, styles)
            sheet(title).grow_dimension(row, col)
    written = len(edits.cells)
    appended = []
    for title, rows in edits.appends:
        rows = rows if rows and isinstance(rows[0], list) else [rows]
        if title not in sheets and title in parts and parts[title] in files:
            done = _append_in_place(spliced.get(title) or files[parts[title]], rows, styles)
            if done is not None:
                in_place.add(title)
                spliced[title] = done[0]
                appended += [(title, n) for n in done[1]]
                written += done[2]
                continue
        if title in spliced:                     # parsed from what was appended so far
            files[parts[title]] = spliced.pop(title)
        in_place.discard(title)
        numbers, cells = _append_rows(sheet(title), rows, styles, sheet(title).last_used_row())
        appended += [(title, n) for n in numbers]
        written += cells
    if not written:
        return data, 0, []

    changed = {parts[t]: _serialise(s.tree) for t, s in sheets.items()}
    changed.update({parts[t]: part for t, part in spliced.items()})
    if styles.changed:
        changed[styles_part] = _serialise(styles.tree)
    changed.update({p: files[p] for p in added})
    book = etree.fromstring(files["xl/workbook.xml"])
    _recalculate_on_load(book)
    changed["xl/workbook.xml"] = _serialise(book)

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compresslevel=ZIP_LEVEL) as zout:
        for info in infos:
            if info.filename not in changed and _copy_compressed(zin, info, zout):
                continue
            info._compresslevel = ZIP_LEVEL      # read by writestr (3.11–3.12; 3.13's compress_level wraps it)
            zout.writestr(info, changed.get(info.filename, files[info.filename]))
        for part in sorted(changed.keys() - {i.filename for i in infos}):
            zout.writestr(part, changed[part], compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue(), written, appended
