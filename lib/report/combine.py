"""Several towns' 「県への提出用（CSV）」 into one workbook for the prefecture:

    python -m lib.report.combine 町1.csv 町2.csv 町3.csv --out 県.xlsx

One table per 指標 (towns side by side, 年度 over 年度) with its chart, and the towns' tables cell by
cell. A file of another format, or the same town's same 年度 twice, is refused with what to do."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lib.report.prefecture import PART, Refused, combine, to_xlsx


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.report.combine",
                                     description="町ごとの「県への提出用（CSV）」を1つの Excel にまとめます。")
    parser.add_argument("files", nargs="+", type=Path, help="町から届いた CSV（いくつでも）")
    parser.add_argument("--out", type=Path, required=True, help="書き出す Excel ファイル（例 県.xlsx）")
    args = parser.parse_args(argv)
    missing = [str(f) for f in args.files if not f.is_file()]
    if missing:
        print(f"見つからないファイルがあります: {'、'.join(missing)}", file=sys.stderr)
        return 2
    try:
        tidy = combine([(f.name, f.read_bytes()) for f in args.files])
    except Refused as e:
        print(f"まとめていません。{e}", file=sys.stderr)
        return 2
    try:
        args.out.write_bytes(to_xlsx(tidy))
    except OSError as e:
        print(f"{args.out} に書き出せません（{e.strerror}）。ほかのアプリで開いていれば閉じてください。", file=sys.stderr)
        return 2
    towns = tidy.drop_duplicates("町名コード")
    print(f"{args.out}: {len(towns)}町（{'、'.join(towns['町名'])}）・{tidy['年度'].nunique()}年度・"
          f"{tidy.loc[~tidy['指標'].str.contains(PART), ['事業', '指標']].drop_duplicates().shape[0]}指標と表の内訳")
    return 0


if __name__ == "__main__":
    sys.exit(main())
