"""The workbook contract: tabs, columns, types, required flags, allowed values and aliases.

Everything else reads this table; nothing else spells a tab or column name's rules.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Column types the validator knows how to convert.
TEXT, ID, DATE, TIME, INT, FLOAT, ENUM, LIST, IDLIST = (
    "text", "id", "date", "time", "int", "float", "enum", "list", "idlist")


@dataclass(frozen=True)
class Column:
    """One column of a tab: its Japanese header, type and rules."""

    name: str
    type: str = TEXT
    required: bool = False
    allowed: tuple[str, ...] = ()      # ENUM: the only values accepted
    vocabulary: tuple[str, ...] = ()   # LIST: known words (others shown as-is, reported as info)
    aliases: tuple[str, ...] = ()      # other header spellings staff use
    references: str = ""               # "タブ.列": every value must exist there
    free_text: bool = False            # personal free text: hidden in 投影モード
    min_value: float | None = None
    max_value: float | None = None
    hint: str = ""                     # what to type, shown in data-check messages


@dataclass(frozen=True)
class Tab:
    """One tab (sheet) of the workbook."""

    name: str
    columns: tuple[Column, ...]
    required: bool = False
    key: tuple[str, ...] = ()          # columns whose values must be unique together
    aliases: tuple[str, ...] = ()
    description: str = ""

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


STAGES = ("受付", "アセスメント", "プラン作成", "支援中", "見守り", "終結", "中断")
CONSENT = ("あり", "なし", "不明")
URGENCY = ("高", "中", "低")
YES_NO = ("はい", "いいえ")
FIELDS = ("高齢", "障がい", "子ども", "生活困窮")
PROGRAMMES = ("包括的相談支援", "参加支援", "地域づくり", "アウトリーチ等継続的支援", "多機関協働")
ISSUES = ("8050", "ダブルケア", "ヤングケアラー", "社会的孤立", "ひきこもり", "生活困窮", "障がい",
          "精神疾患", "認知症", "虐待", "DV", "不登校", "身寄りなし", "外国籍", "住まい", "債務", "その他")
MEETING_TYPES = ("支援会議", "重層的支援会議", "定例会議", "代表者会議", "その他")
# The domain words, defined once. 支援会議 (社会福祉法 第106条の6) takes the no-consent cases under
# secrecy; 重層的支援会議 the cases with consent; 定例会議・代表者会議 discuss no single household.
SHIEN_KAIGI, JUSOU_KAIGI, TEIREI_KAIGI, DAIHYO_KAIGI, OTHER_MEETING = MEETING_TYPES
# Which meeting a household's case goes to, by its 同意 (no consent or unknown → 支援会議):
TRACKS = (JUSOU_KAIGI, SHIEN_KAIGI)
TRACK_BY_CONSENT = {"あり": JUSOU_KAIGI, "なし": SHIEN_KAIGI, "不明": SHIEN_KAIGI}
# 段階 that mean the household is no longer actively supported:
CLOSED_STAGES = ("終結", "中断")
PLAN_STATUS = ("未着手", "実施中", "達成", "見直し", "中止")
# A plan item still being worked on, and one that is over:
PLAN_OPEN_STATUS = ("未着手", "実施中", "見直し")
PLAN_DONE_STATUS = ("達成", "中止")
CONTACT_METHODS = ("訪問", "来所", "電話", "同行", "手紙", "メール", "会議", "その他")
RESOURCE_KINDS = ("相談窓口", "居場所", "サロン", "通いの場", "子育て支援拠点", "子ども食堂",
                  "地域活動支援センター", "就労体験", "ボランティア", "家族会", "その他")
# Plan rows that are not a household member:
PLAN_EXTRA_TARGETS = ("危機介入", "その他")
# 同意記録: what was recorded, and for what (a withdrawal takes the case back to 支援会議):
CONSENT_RECORD = ("あり", "なし", "撤回")
CONSENT_SCOPE = ("情報共有", "重層的支援会議", "両方")
# 世帯.同意 that follows a 同意記録 row:
CONSENT_BY_RECORD = {"あり": "あり", "なし": "なし", "撤回": "なし"}
# つなぎ (referrals between agencies) and the closure evaluation (評価シート):
REFERRAL_KINDS = ("つなぎ", "つなぎもどし", "引継ぎ")
REFERRAL_STATES = ("依頼中", "受理", "差し戻し", "取り下げ")
ACHIEVEMENT = ("達成", "一部達成", "未達成")
# 参加支援 (美咲町 別紙2-5①): the steps of a matching with a 受入先, in order; 中断 ends it, and
# 定着支援 are the contacts after 定着:
PARTICIPATION_STEPS = ("打診", "見学", "体験", "定着", "定着支援", "中断")
# アウトリーチ (美咲町 別紙2-5②): where a person not yet in 受付 stands:
OUTREACH_STATES = ("接触中", "見守り", "相談受付へ", "終了")
# つながり評価 (美咲町 別紙2-7): to whom or what the person is connected at 終結, and how steadily:
CONNECTION_KINDS = ("機関", "社会資源", "地域の人", "家族・親族", "その他")
STABILITY = ("安定", "ときどき", "不安定")
# 社会資源.状態: open, or still being developed by someone (開拓中):
RESOURCE_STATES = ("開設", "開拓中")
# 世帯員.性別 for the 家族構成図 (□ 男, ○ 女; empty: read from 続柄):
SEX = ("男", "女")
# インテーク・アセスメント (美咲町 別紙2-3): what is looked at, in the sheet's order (each a free-text column):
ASSESSMENT_FIELDS = ("本人の思い", "生活歴", "健康", "経済", "住まい", "家族関係", "社会関係", "強み",
                     "課題の見立て", "支援の方向")
# 段階 whose move needs a reason, and the 世帯 date column each sets:
STAGE_DATE_COLUMN = {"終結": "終結日", "中断": "中断日"}

# 計画指標.集計 keys the app counts from the workbook itself (lib/casework/indicators.py says how).
# 社会資源数 may name kinds: 社会資源数:サロン・通いの場
INDICATOR_KEYS = ("新規相談受付件数", "複合課題世帯数", "重層的支援会議開催回数", "支援会議開催回数", "定例会議開催回数",
                  "代表者会議開催回数", "支援プラン作成件数", "終結件数", "中断件数", "アウトリーチ対象世帯数",
                  "参加支援マッチング件数", "定着件数", "訪問件数", "アウトリーチ件数", "社会資源数",
                  "つなぎ件数", "つなぎもどし件数", "引継ぎ件数", "受理件数", "差し戻し件数", "平均応答日数",
                  "アウトリーチからの受付件数")

HOUSEHOLDS, MEMBERS, PLANS, MEETINGS, CONTACTS, RESOURCES, AGENCIES, INDICATORS, AREAS = (
    "世帯", "世帯員", "支援プラン", "会議", "経過記録", "社会資源", "機関", "計画指標", "地区")
CONSENTS, STAGE_HISTORY, REFERRALS, EVALUATIONS = "同意記録", "段階履歴", "つなぎ", "評価"
ASSESSMENTS, PARTICIPATION, OUTREACH, CONNECTIONS = "アセスメント", "参加支援", "アウトリーチ", "つながり評価"
MEMBER_REGISTER = "構成員名簿"
REPORT_NOTES = "実施状況報告"
# 所管課 whose agency may not sit in a 支援会議 (tax information is never shared there, 美咲町 規程):
TAX_OFFICE = "税務"

C = Column
TABS: tuple[Tab, ...] = (
    Tab(HOUSEHOLDS, required=True, key=("世帯ID",), description="支援対象の世帯（1世帯1行）", columns=(
        C("世帯ID", ID, required=True, aliases=("世帯番号", "ID", "ケースID", "ケース番号"), hint="例: H-001"),
        C("表示名", TEXT, required=True, aliases=("世帯名", "氏名", "名前"), hint="例: 山田世帯"),
        C("地区", TEXT, references="地区.地区名", aliases=("地域", "地区名")),
        C("課題", LIST, vocabulary=ISSUES, aliases=("主な課題", "課題分類")),
        C("同意", ENUM, required=True, allowed=CONSENT, aliases=("本人同意", "同意の有無")),
        C("段階", ENUM, required=True, allowed=STAGES, aliases=("支援段階", "ステージ", "状態")),
        C("主担当機関", TEXT, references="機関.機関名", aliases=("担当機関",)),
        C("担当者", TEXT, aliases=("担当", "主担当者")),
        C("受付日", DATE, required=True, aliases=("相談受付日", "受付年月日")),
        C("次回見直し日", DATE, aliases=("見直し日", "次回見直し")),
        C("最終接触日", DATE, aliases=("最終接触", "最終連絡日")),
        C("緊急度", ENUM, allowed=URGENCY, aliases=("優先度",)),
        C("紹介元", TEXT, aliases=("相談経路",)),
        C("終結日", DATE, aliases=("支援終結日",)),
        C("中断日", DATE, aliases=("支援中断日", "中断年月日")),
        C("備考", TEXT, free_text=True, aliases=("メモ",)),
    )),
    Tab(MEMBERS, key=("世帯ID", "記号"), description="世帯員（1人1行。氏名は書かず記号で）", columns=(
        C("世帯ID", ID, required=True, references="世帯.世帯ID", aliases=("世帯番号",)),
        C("記号", TEXT, required=True, aliases=("世帯員", "対象者"), hint="例: A氏"),
        C("続柄", TEXT, aliases=("関係",)),
        C("年齢", INT, min_value=0, max_value=120, aliases=("年令",), hint="数字だけ。例: 82"),
        C("分野", LIST, vocabulary=FIELDS),
        C("状況", TEXT, free_text=True, aliases=("状態", "現状")),
        C("性別", ENUM, allowed=SEX, hint="家族構成図の□（男）○（女）。空なら続柄から"),
        C("生年", INT, min_value=1900, max_value=2100, aliases=("生まれ年", "生年（西暦）"),
          hint="西暦の年（例: 1948）。年齢が空のとき家族構成図に使います"),
        C("死亡", ENUM, allowed=YES_NO, aliases=("死別", "故人"), hint="亡くなった家族も書くときは「はい」（家族構成図に×）"),
        C("同居", ENUM, allowed=YES_NO, hint="空なら同居。別に暮らす家族は「いいえ」"),
    )),
    Tab(PLANS, description="世帯支援プラン（様式5）: 世帯員ごと＋危機介入・その他", columns=(
        C("世帯ID", ID, required=True, references="世帯.世帯ID", aliases=("世帯番号",)),
        C("対象", TEXT, required=True, aliases=("記号", "対象者"), hint="A氏・B氏…、危機介入、その他"),
        C("目標", TEXT, free_text=True),
        C("検討内容", TEXT, free_text=True),
        C("取組事項", TEXT, free_text=True, aliases=("当面の取組事項", "取組")),
        C("役割分担", TEXT, free_text=True),
        C("期限", DATE),
        C("状況", ENUM, allowed=PLAN_STATUS, aliases=("進捗", "状態")),
        C("更新日", DATE, aliases=("最終更新日",)),
    )),
    Tab(MEETINGS, key=("会議ID",), description="会議（支援会議・重層的支援会議・定例会議・代表者会議）", columns=(
        C("会議ID", ID, required=True, aliases=("会議番号",), hint="例: M-2025-04"),
        C("種別", ENUM, required=True, allowed=MEETING_TYPES, aliases=("会議種別", "会議名")),
        C("開催日", DATE, required=True, aliases=("日付", "開催年月日")),
        C("開始", TIME, aliases=("開始時刻", "開始時間"), hint="例: 13:30"),
        C("終了", TIME, aliases=("終了時刻", "終了時間"), hint="例: 15:00"),
        C("場所", TEXT, aliases=("会場",)),
        C("議長", TEXT),
        C("対象世帯", IDLIST, references="世帯.世帯ID", aliases=("検討世帯", "世帯ID"),
          hint="世帯IDを「、」で区切って"),
        C("議題", TEXT, free_text=True),
        C("参加機関", LIST, references="機関.機関名", aliases=("出席機関",)),
        C("決定事項", TEXT, free_text=True, aliases=("決定内容",), hint="世帯ごとに「H-001: …」の1行"),
        C("出席者", TEXT, free_text=True, aliases=("出欠",),
          hint="機関ごとに「機関名：出席者名」の1行（欠席は「機関名：欠席」）"),
        C("議事録", TEXT, free_text=True, hint="世帯ごとに「H-001: …」の1行"),
        C("変更プラン", TEXT, free_text=True, hint="アプリが書きます（この会議で変えた支援プランの行）"),
    )),
    Tab(CONTACTS, description="経過記録（訪問・電話などの記録）", columns=(
        C("日付", DATE, required=True, aliases=("年月日", "対応日")),
        C("世帯ID", ID, required=True, references="世帯.世帯ID", aliases=("世帯番号",)),
        C("機関", TEXT, references="機関.機関名", aliases=("対応機関",)),
        C("担当者", TEXT, aliases=("対応者",)),
        C("方法", ENUM, allowed=CONTACT_METHODS, aliases=("対応方法", "手段")),
        C("内容", TEXT, free_text=True, aliases=("対応内容", "記録")),
        C("記録ID", ID, aliases=("記録番号",), hint="アプリが付けます（手入力の行は空でかまいません）"),
        C("訂正元", TEXT, aliases=("訂正対象",), hint="訂正する元の記録の記録ID（IDがない行は「12行目」）"),
    )),
    Tab(RESOURCES, key=("資源ID",), description="社会資源（居場所・サロン・相談窓口など）", columns=(
        C("資源ID", ID, required=True, aliases=("ID",), hint="例: R-01"),
        C("名称", TEXT, required=True, aliases=("資源名", "名前")),
        C("種別", ENUM, required=True, allowed=RESOURCE_KINDS, aliases=("種類",)),
        C("分野", LIST, vocabulary=FIELDS),
        C("地区", TEXT, references="地区.地区名", aliases=("地域",)),
        C("住所", TEXT, aliases=("所在地",)),
        C("緯度", FLOAT, min_value=-90, max_value=90, aliases=("lat", "latitude"), hint="例: 35.123"),
        C("経度", FLOAT, min_value=-180, max_value=180, aliases=("lon", "lng", "longitude"), hint="例: 134.123"),
        C("電話", TEXT, aliases=("電話番号", "TEL")),
        C("開設日時", TEXT, aliases=("開催日時", "開所日時")),
        C("対象", TEXT, aliases=("対象者",)),
        C("受入可", ENUM, allowed=YES_NO, aliases=("受入", "受け入れ可")),
        C("備考", TEXT),
        C("状態", ENUM, allowed=RESOURCE_STATES, aliases=("開設状況",), hint="空なら開設。これからつくるものは「開拓中」"),
        C("開拓担当", TEXT, aliases=("開拓者", "担当"), hint="開拓中の資源を進めている機関・人"),
    )),
    Tab(AGENCIES, key=("機関名",), description="関係機関（支援会議の構成員かどうかも）", columns=(
        C("機関名", TEXT, required=True, aliases=("機関", "名称")),
        C("分野", LIST, vocabulary=FIELDS),
        C("事業", LIST, vocabulary=PROGRAMMES),
        C("電話", TEXT, aliases=("電話番号", "TEL")),
        C("メール", TEXT, aliases=("メールアドレス", "Email", "E-mail")),
        C("所管課", TEXT, aliases=("担当課",)),
        C("支援会議構成員", ENUM, allowed=YES_NO, aliases=("構成員",)),
    )),
    Tab(INDICATORS, key=("年度", "事業", "指標"), description="実施計画の指標（年度ごとの目標値と実績値）", columns=(
        C("年度", INT, required=True, min_value=2000, max_value=2100, hint="西暦の年度（例: 2025）。令和7年度も可"),
        C("事業", ENUM, allowed=PROGRAMMES),
        C("指標", TEXT, required=True, aliases=("指標名",)),
        C("目標値", FLOAT, aliases=("目標",)),
        C("実績値", FLOAT, aliases=("実績",)),
        C("単位", TEXT),
        C("集計", TEXT, aliases=("自動集計",), hint="空欄か、自動で数える項目名（例: 新規相談受付件数、社会資源数:サロン）"),
        C("備考", TEXT),
    )),
    Tab(REPORT_NOTES, description="実施状況報告の所見（年度・事業ごとの短い文。プラン進捗で書くとアプリが追記し、"
        "いちばん下の行が報告に載ります）", columns=(
        C("年度", INT, required=True, min_value=2000, max_value=2100, hint="西暦の年度（例: 2025）。令和7年度も可"),
        C("事業", ENUM, required=True, allowed=PROGRAMMES),
        C("所見", TEXT, aliases=("本文", "コメント"), hint="委員会に報告する、この事業の1年のまとめ"),
        C("記入日", DATE, aliases=("日付",)),
        C("記入者", TEXT),
    )),
    Tab(CONSENTS, description="同意記録（同意・撤回の記録。世帯の同意は最新の記録に従います）", columns=(
        C("世帯ID", ID, required=True, references="世帯.世帯ID", aliases=("世帯番号",)),
        C("日付", DATE, required=True, aliases=("同意日", "年月日")),
        C("同意", ENUM, required=True, allowed=CONSENT_RECORD, aliases=("同意の有無",)),
        C("範囲", ENUM, allowed=CONSENT_SCOPE, aliases=("同意の範囲",)),
        C("取得者", TEXT, aliases=("確認者", "記入者")),
        C("備考", TEXT, free_text=True, aliases=("メモ",)),
    )),
    Tab(STAGE_HISTORY, description="段階履歴（段階を動かした記録。アプリが追記します）", columns=(
        C("世帯ID", ID, required=True, references="世帯.世帯ID", aliases=("世帯番号",)),
        C("日付", DATE, required=True, aliases=("変更日", "年月日")),
        C("旧段階", ENUM, allowed=STAGES, aliases=("変更前",)),
        C("新段階", ENUM, required=True, allowed=STAGES, aliases=("変更後", "段階")),
        C("理由", TEXT, free_text=True),
        C("記入者", TEXT, aliases=("変更者",)),
    )),
    Tab(REFERRALS, key=("つなぎID",), description="つなぎ・つなぎもどし・引継ぎ（機関の間の依頼と応答）", columns=(
        C("つなぎID", ID, required=True, aliases=("依頼ID",), hint="例: T-0001"),
        C("世帯ID", ID, required=True, references="世帯.世帯ID", aliases=("世帯番号",)),
        C("依頼日", DATE, required=True),
        C("依頼元機関", TEXT, required=True, references="機関.機関名", aliases=("依頼元",)),
        C("依頼先機関", TEXT, required=True, references="機関.機関名", aliases=("依頼先",)),
        C("種類", ENUM, required=True, allowed=REFERRAL_KINDS),
        C("依頼内容", TEXT, free_text=True),
        C("状態", ENUM, required=True, allowed=REFERRAL_STATES),
        C("応答日", DATE),
        C("応答者", TEXT),
        C("応答コメント", TEXT, free_text=True),
    )),
    Tab(EVALUATIONS, description="評価（終結時の評価シート。目標ごとに1行）", columns=(
        C("世帯ID", ID, required=True, references="世帯.世帯ID", aliases=("世帯番号",)),
        C("評価日", DATE, required=True),
        C("対象", TEXT, aliases=("記号",), hint="A氏・B氏…、世帯"),
        C("目標", TEXT, free_text=True),
        C("達成度", ENUM, allowed=ACHIEVEMENT),
        C("本人・世帯の変化", TEXT, free_text=True, aliases=("変化",)),
        C("終結理由", TEXT, free_text=True),
        C("見守り機関", TEXT, references="機関.機関名"),
        C("記入者", TEXT),
    )),
    Tab(CONNECTIONS, description="つながり評価（別紙2-7。終結のとき、本人・世帯がいまもつ人や場とのつながりを1つ1行。アプリが追記します）",
        columns=(
        C("世帯ID", ID, required=True, references="世帯.世帯ID", aliases=("世帯番号",)),
        C("評価日", DATE, required=True),
        C("対象", TEXT, aliases=("記号",), hint="A氏・B氏…、世帯"),
        C("つながり先", TEXT, required=True, aliases=("つながり",), hint="機関・社会資源の名前、または「近所の友人」など"),
        C("種類", ENUM, allowed=CONNECTION_KINDS),
        C("安定度", ENUM, allowed=STABILITY, aliases=("安定",)),
        C("内容", TEXT, free_text=True, aliases=("様子",)),
        C("記入者", TEXT),
    )),
    Tab(ASSESSMENTS, description="インテーク・アセスメント（別紙2-3。世帯ごと・実施日ごとに1行。アプリが追記します）", columns=(
        C("世帯ID", ID, required=True, references="世帯.世帯ID", aliases=("世帯番号",)),
        C("実施日", DATE, required=True, aliases=("アセスメント日", "記入日", "日付")),
        C("対象", TEXT, aliases=("記号", "対象者"), hint="A氏・B氏…、世帯"),
        *(C(name, TEXT, free_text=True) for name in ASSESSMENT_FIELDS),
        C("機関", TEXT, references="機関.機関名", aliases=("記入機関",)),
        C("記入者", TEXT, aliases=("担当者",)),
        C("記録ID", ID, hint="アプリが付けます（手入力の行は空でかまいません）"),
    )),
    Tab(PARTICIPATION, description="参加支援（別紙2-5①。受入先とのマッチングの段階ごとに1行。アプリが追記します）", columns=(
        C("マッチングID", ID, required=True, aliases=("マッチング番号",),
          hint="同じ受入先とのマッチングの行は同じID（アプリが P-… を付けます）"),
        C("世帯ID", ID, required=True, references="世帯.世帯ID", aliases=("世帯番号",)),
        C("対象", TEXT, required=True, aliases=("記号", "対象者"), hint="A氏・B氏…"),
        C("受入先", TEXT, required=True, references="社会資源.名称", aliases=("受入先名", "社会資源")),
        C("段階", ENUM, required=True, allowed=PARTICIPATION_STEPS),
        C("日付", DATE, required=True, aliases=("年月日",)),
        C("内容", TEXT, free_text=True, aliases=("記録", "様子")),
        C("受入先への支援", TEXT, free_text=True, aliases=("受入先支援",)),
        C("中断理由", TEXT, free_text=True),
        C("機関", TEXT, references="機関.機関名", aliases=("記入機関",)),
        C("記入者", TEXT, aliases=("担当者",)),
    )),
    Tab(OUTREACH, description="アウトリーチ（別紙2-5②。まだ相談受付していない人への接触を1回1行。"
        "アウトリーチ担当の機関と多機関協働だけが見ます。アプリが追記します）", columns=(
        C("対象ID", ID, required=True, aliases=("アウトリーチID",), hint="同じ人の行は同じID（アプリが O-… を付けます）"),
        C("呼び名", TEXT, required=True, aliases=("対象",), hint="名前は書かず「東部 70代男性」のように"),
        C("地区", TEXT, references="地区.地区名"),
        C("日付", DATE, required=True, aliases=("接触日", "年月日")),
        C("方法", ENUM, allowed=CONTACT_METHODS),
        C("内容", TEXT, free_text=True, aliases=("様子", "記録")),
        C("信頼づくりの計画", TEXT, free_text=True, aliases=("計画", "次の働きかけ")),
        C("状態", ENUM, required=True, allowed=OUTREACH_STATES),
        C("機関", TEXT, references="機関.機関名", aliases=("記入機関",)),
        C("記入者", TEXT, aliases=("担当者",)),
        C("受付後の世帯ID", ID, aliases=("世帯ID",), hint="相談受付へ進んだとき、アプリが書きます"),
    )),
    Tab(MEMBER_REGISTER, key=("機関名", "氏名"), aliases=("支援会議構成員名簿", "構成員"),
        description="支援会議の構成員名簿（法第106条の6。守秘義務（法第159条）を確認した日も）", columns=(
        C("機関名", TEXT, required=True, references="機関.機関名", aliases=("機関",)),
        C("氏名", TEXT, required=True, aliases=("構成員", "名前")),
        C("役職", TEXT, aliases=("職名",)),
        C("守秘義務確認日", DATE, aliases=("守秘義務", "確認日", "誓約日")),
        C("備考", TEXT),
    )),
    Tab(AREAS, key=("地区名",), description="地区（地図の中心と人口）", columns=(
        C("地区名", TEXT, required=True, aliases=("地区",)),
        C("緯度", FLOAT, min_value=-90, max_value=90, aliases=("lat", "latitude")),
        C("経度", FLOAT, min_value=-180, max_value=180, aliases=("lon", "lng", "longitude")),
        C("人口", INT, min_value=0, aliases=("人口数",)),
        C("高齢化率", FLOAT, min_value=0, max_value=100, hint="百分率の数字（例: 38.5）。%は付けても可"),
    )),
)
del C

TABS_BY_NAME: dict[str, Tab] = {t.name: t for t in TABS}


def header_key(text: object) -> str:
    """The form headers are compared in: NFKC, no spaces, lower case (世帯ＩＤ, 世帯 id → 世帯id)."""
    s = unicodedata.normalize("NFKC", str(text or ""))
    return "".join(s.split()).lower()


# Headings a town's own lists use (受付簿, 関係機関一覧, 地区別人口 …) beside the contract's names and
# aliases: 取り込み proposes the column for them; the workbook's reader keeps to the aliases. A heading
# is also matched without a note in brackets at its end (受付年月日（和暦）, 高齢化率（％）).
LIST_HEADINGS: dict[str, dict[str, tuple[str, ...]]] = {
    "世帯": {"世帯ID": ("世帯番号", "ケース番号"), "表示名": ("世帯名", "氏名", "相談者", "相談者名"),
           "受付日": ("相談日", "受付年月日", "相談年月日", "受付日付", "初回相談日"), "課題": ("相談内容", "主訴", "相談種別"),
           "紹介元": ("相談経路", "経路", "紹介者"), "主担当機関": ("担当機関", "担当事業所"), "担当者": ("担当", "担当職員"),
           "同意": ("本人同意", "同意の有無", "情報共有の同意"), "備考": ("メモ", "特記事項")},
    "世帯員": {"年齢": ("年令", "年齢（歳）"), "続柄": ("続き柄", "関係")},
    "機関": {"機関名": ("事業所名", "機関名称", "事業所", "団体名", "名称"), "電話": ("電話番号", "TEL", "Tel", "連絡先"),
           "メール": ("メールアドレス", "E-mail", "Email", "e-mail", "mail"), "所管課": ("担当課", "所管")},
    "社会資源": {"名称": ("資源名", "施設名", "団体名", "名前"), "電話": ("電話番号", "TEL", "Tel", "連絡先"),
             "開設日時": ("開催日時", "日時", "開所日"), "受入可": ("受入", "受け入れ", "受入の可否")},
    "地区": {"地区名": ("地区", "地域", "行政区"), "人口": ("人口（人）", "総人口", "人口総数"),
           "高齢化率": ("高齢化率（％）", "高齢化率(%)", "高齢者率")},
}


def list_heading_column(tab: Tab, heading: object) -> Column | None:
    """The contract column a heading of a town's own list stands for: the contract's names and
    aliases, then LIST_HEADINGS, each also without a bracketed note at the heading's end."""
    keys = [header_key(heading)]
    stripped = re.sub(r"[(（【\[][^()（）【】\[\]]*[)）】\]]$", "", keys[0])
    if stripped and stripped != keys[0]:
        keys.append(stripped)
    for key in keys:
        found = column_for_header(tab, key)
        if found is not None:
            return found
        for name, headings in LIST_HEADINGS.get(tab.name, {}).items():
            if key in {header_key(h) for h in headings}:
                return tab.column(name)
    return None


def tab_for_title(title: str) -> Tab | None:
    """The schema tab a sheet title stands for, allowing full-width and spacing variants."""
    key = header_key(title)
    for tab in TABS:
        if key in {header_key(n) for n in (tab.name, *tab.aliases)}:
            return tab
    return None


def column_for_header(tab: Tab, header: object) -> Column | None:
    """The schema column a header cell stands for; exact names win over aliases."""
    key = header_key(header)
    if not key:
        return None
    for col in tab.columns:
        if key == header_key(col.name):
            return col
    for col in tab.columns:
        if key in {header_key(a) for a in col.aliases}:
            return col
    return None


def free_text_columns(tab_name: str) -> list[str]:
    """Columns of a tab that hold free text about people (hidden when projected)."""
    return [c.name for c in TABS_BY_NAME[tab_name].columns if c.free_text]


TYPE_LABELS = {TEXT: "文字", ID: "ID（文字）", DATE: "日付", TIME: "時刻", INT: "整数", FLOAT: "数値",
               ENUM: "選択", LIST: "複数（、区切り）", IDLIST: "世帯IDを複数（、区切り）"}


def guide_rows(tab: Tab) -> list[dict[str, str]]:
    """The sheet guide for one tab, as rows a person reads (help page and README)."""
    rows = []
    for c in tab.columns:
        values = "／".join(c.allowed) if c.allowed else ("例: " + "、".join(c.vocabulary[:6]) + " …" if c.vocabulary else c.hint)
        if c.references:
            values = (values + "。" if values else "") + f"「{c.references.replace('.', '」の')}にあるもの"
        rows.append({"列": c.name, "必須": "必須" if c.required else "", "種類": TYPE_LABELS[c.type],
                     "入れる値": values, "別の見出しでも可": "、".join(c.aliases)})
    return rows


def readme_guide() -> str:
    """README's tab-by-tab sheet guide (one table per tab), made from this table so it cannot drift."""
    parts = []
    for tab in TABS:
        parts.append(f"### {tab.name}{'（必須のタブ）' if tab.required else ''}\n\n{tab.description}\n\n"
                     "| 列 | 必須 | 種類 | 入れる値 | 別の見出しでも可 |\n|---|---|---|---|---|\n"
                     + "\n".join("| " + " | ".join(r.values()) + " |" for r in guide_rows(tab)) + "\n")
    return "\n".join(parts)


def indicator_key(text: str | None) -> tuple[str, tuple[str, ...]] | None:
    """Split a 集計 cell into (key, 社会資源の種別…); None when it is not a known key."""
    import unicodedata
    if not isinstance(text, str) or not text:          # blank cells arrive as None or NaN
        return None
    key, _, kinds = unicodedata.normalize("NFKC", text).strip().partition(":")
    key = key.strip()
    if key not in INDICATOR_KEYS:
        return None
    wanted = tuple(k.strip() for k in kinds.replace("、", "・").replace(",", "・").split("・") if k.strip())
    if wanted and (key != "社会資源数" or any(k not in RESOURCE_KINDS for k in wanted)):
        return None
    return key, wanted
