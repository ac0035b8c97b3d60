"""Check a workbook from the command line before a meeting.

    python -m lib.workbook.check sample_data/midori_town.xlsx
    python -m lib.workbook.check https://docs.google.com/spreadsheets/d/KEY/edit --json

Prints the same report as the データ点検 page; exits 1 if there is any error, else 0
(2 when the workbook cannot be opened at all).
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from lib.workbook import sources
from lib.workbook.validate import ERROR, SEVERITY_LABELS, Workbook


def report_lines(workbook: Workbook, label: str) -> list[str]:
    """The human-readable report: counts, then one line per problem grouped by tab."""
    counts = workbook.counts()
    lines = [f"{label}: エラー {counts['error']}件・注意 {counts['warning']}件・情報 {counts['info']}件"
             f"（表示できない行 {workbook.rows_left_out}行）"]
    tab = None
    for p in workbook.problems:
        if p.tab != tab:
            tab = p.tab
            lines.append(f"\n[{tab}]")
        where = f"{p.row}行目" if p.row else "タブ全体"
        column = f" {p.column}" if p.column else ""
        value = f" 「{p.value}」" if p.value else ""
        lines.append(f"  {SEVERITY_LABELS[p.severity]}: {where}{column}{value} — {p.message}")
    return lines


def problems_frame(workbook: Workbook):
    """Problems as a table with Japanese headers (the データ点検 page and its Excel download)."""
    import pandas as pd

    return pd.DataFrame(
        [{"タブ": p.tab, "行": p.row, "列": p.column, "値": p.value, "重要度": SEVERITY_LABELS[p.severity],
          "内容": p.message} for p in workbook.problems],
        columns=["タブ", "行", "列", "値", "重要度", "内容"]).astype({"行": "Int64"})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.workbook.check", description="ワークブックを点検します")
    parser.add_argument("source", help="Excel ファイルのパス、または Google スプレッドシートの URL/キー")
    parser.add_argument("--json", action="store_true", help="JSON の配列で出力する")
    args = parser.parse_args(argv)
    env = dict(os.environ, TSUNAGU_WORKBOOK=args.source)
    try:
        snapshot = sources.load(sources.resolve(env, sources.secrets_from_files()))
    except sources.SourceError as e:
        print(f"読めませんでした: {e}\n{e.advice}", file=sys.stderr)
        return 2
    workbook = snapshot.workbook
    if args.json:
        json.dump([p.as_dict() for p in workbook.problems], sys.stdout, ensure_ascii=False, indent=1)
        print()
    else:
        print("\n".join(report_lines(workbook, snapshot.label)))
    return 1 if workbook.counts()[ERROR] else 0


if __name__ == "__main__":
    sys.exit(main())

