"""設定・ヘルプ: which workbook is open, how to connect another, and the sheet guide."""
import pandas as pd
import streamlit as st

from lib.access import users
from lib.workbook import new as new_workbook
from lib.workbook import schema
from lib import ui

# Read what is open:
workbook, viewer = ui.workbook_for_page()
label, read_at = ui.source_info()

# Render:
st.title("設定・ヘルプ")
ui.left_out_notice(workbook)
st.subheader("いま開いているデータ")
st.markdown(f"- データ: **{ui.esc(label)}**\n- 取得: {read_at:%Y年%m月%d日 %H:%M}"
            f"\n- 使っているタブ: {'、'.join(workbook.present_tabs) or 'なし'}")
st.subheader("つなぎ方")
st.markdown(
    "- **管理者は画面でつなげます**: 「管理」の「設定」に、Excel ファイルの場所か Google スプレッドシートの URL を書き、"
    "「接続を確かめる」で読めることを確かめてから「保存する」を押します。メールの設定とテストメールも同じ画面です。\n"
    "- **Excel（庁内の共有フォルダ）**: つなぐボードを動かしているパソコンから見える場所（例 `\\\\fileserver\\fukushi\\町.xlsx`）を書きます。\n"
    "- **Google スプレッドシート**: サービスアカウントを作り、スプレッドシートをそのメールアドレスに共有し、"
    "鍵（JSON ファイル）を設定の画面でアップロードします。\n"
    "- 何もつながないと、見本の町（みどり町）が開きます。\n"
    "- シートを直したら「最新の情報に更新」を押すと、すぐに反映されます（押さなくても数分で反映）。\n"
    "- 会議で映すときは「投影モード」をオンにします。URL の最後に `?mode=projection` を付けても同じです。")
if viewer.user.role == users.ADMIN:
    # A new town starts from the blank workbook (the same file as python -m lib.workbook.new):
    st.subheader("新しい町のひな形")
    st.caption("つなぐボードのタブと見出し、選ぶ欄の一覧（▼）、はじめにのタブが入った空の Excel ファイルです。"
               "まず「機関」と「地区」を入れ、次に世帯を入れてから、このファイルの場所をつなぐボードに設定します。")
    town = st.text_input("町の名前", value="〇〇町", key="help_town", max_chars=30)
    ui.audited_download("ひな形（Excel）をダウンロード", lambda: new_workbook.blank(town or "〇〇町"),
                        f"{town or '〇〇町'}_つなぐボード.xlsx", what="新しい町のひな形", households=0,
                        icon=":material/note_add:")

with st.expander("自分のパスワードを変える", icon=":material/password:"):
    ui.password_form(viewer.user, forced=False)

st.subheader("シートの書き方")
st.caption("1行目に見出し、2行目から1件1行。列の順番は自由で、独自の列を足しても構いません。"
           "日付は 令和7年4月1日・R7.4.1・2025/4/1 のどれでも読めます。")
for tab in schema.TABS:
    with st.expander(f"{tab.name}{'（必須のタブ）' if tab.required else ''} — {tab.description}"):
        st.dataframe(pd.DataFrame(schema.guide_rows(tab)), hide_index=True, width="stretch")
