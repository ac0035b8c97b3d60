"""プラン進捗: every plan's state for case workers, and the 実施計画 figures for the section chief."""
import datetime as dt

import streamlit as st

from lib.casework import charts, household, indicators, plans
from lib.workbook import export, schema
from lib import ui
from lib.access import users
from lib.workbook.cells import fiscal_label, fiscal_year

VIEWS = ("世帯支援プラン", "実施計画の指標")
# Households named in each 「…の世帯」 line (the rest are counted, and found in the table below):
NAMED_PER_LIST = 10

# Read data and widgets:
st.title("プラン進捗")
workbook, viewer = ui.workbook_for_page()
today = ui.today()
ui.left_out_notice(workbook)
ui.flash()
ui.first_steps("世帯", "支援プラン")
view = st.radio("画面", VIEWS, horizontal=True, key="plans_view", label_visibility="collapsed")

if view == VIEWS[0]:
    options = {"地区": sorted({a for a in workbook["世帯"]["地区"] if isinstance(a, str)}),
                               "機関": list(workbook["機関"]["機関名"])}
    with st.expander("絞り込み", icon=":material/filter_alt:"):
        c1, c2, c3 = st.columns(3)
        filters = plans.PlanFilters(
            areas=tuple(c1.multiselect("地区", options["地区"], placeholder="すべて", key="plans_areas")),
            agencies=tuple(c2.multiselect("機関（主担当または役割分担）", options["機関"], placeholder="すべて", key="plans_agencies")),
            statuses=tuple(c3.multiselect("状況", schema.PLAN_STATUS, placeholder="すべて", key="plans_statuses")),
            overdue_only=c1.toggle("期限切れだけ", key="plans_overdue"))
    result = ui.shared(plans.portfolio, workbook, today, filters)
    ui.audit_once("view_plans", households=int(result.households["世帯ID"].nunique()))

    # Figures across all plans:
    cols = st.columns(len(schema.PLAN_STATUS))
    for col, status in zip(cols, schema.PLAN_STATUS):
        col.metric(f"取組: {status}", result.by_status[status])
    cols = st.columns(4)
    cols[0].metric("期限切れの取組", result.overdue, help="期限が過ぎて、達成・中止になっていない取組")
    cols[1].metric("プランのない世帯", len(result.without_items), help="プラン作成・支援中なのに取組が1つもない")
    cols[2].metric(f"{plans.STALE_PLAN_DAYS}日以上更新のないプラン", len(result.stale))
    cols[3].metric("見直しの時期の世帯", len(result.due), help="次回見直し日が過ぎたか、近い世帯")

    names = dict(zip(result.households["世帯ID"], result.households["表示名"]))
    for label, ids in (("プランのない世帯", result.without_items), (f"{plans.STALE_PLAN_DAYS}日以上更新のないプラン", result.stale),
                       ("見直しの時期の世帯", result.due)):
        if ids:
            more = f"　ほか{len(ids) - NAMED_PER_LIST}世帯（下の一覧で絞り込めます）" if len(ids) > NAMED_PER_LIST else ""
            st.markdown(f"**{label}**: " + "、".join(f"{ui.esc(names.get(h, h))}（{ui.esc(h)}）"
                                                   for h in ids[:NAMED_PER_LIST]) + more)

    st.subheader("機関ごとの負担")
    st.dataframe(plans.agency_load(workbook, result.items), hide_index=True, width="stretch")

    st.subheader(f"取組の一覧（{len(result.items)}件）")
    ui.paged_table(result.items, key="plans_items_page",
                   column_config={"期限切れ": st.column_config.CheckboxColumn("期限切れ")})
    if not viewer.projection:
        ui.audited_download("この一覧を Excel でダウンロード", lambda: export.to_xlsx({"プラン取組": result.items}),
                            f"プラン取組_{today:%Y%m%d}.xlsx", what="プラン取組の一覧",
                            households=result.items["世帯ID"].nunique(), icon=":material/download:",
                            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    # One row per household, and one plan sheet opened on demand (never a widget per household):
    st.subheader("世帯ごとの世帯支援プラン")
    filtered = any((filters.areas, filters.agencies, filters.statuses, filters.overdue_only))
    listed = result.households[result.households["世帯ID"].isin(set(result.items["世帯ID"]))] if filtered \
        else result.households
    ui.paged_table(ui.dates(listed), key="plans_households_page")
    names = dict(zip(listed["世帯ID"], listed["表示名"]))
    picked = ui.household_choice("プランを開く世帯", names, key="plans_open")
    if picked:
        members, plan_rows = workbook["世帯員"], workbook["支援プラン"]
        sheet = household.plan_sheet(plan_rows[plan_rows["世帯ID"] == picked], members[members["世帯ID"] == picked])
        st.dataframe(ui.dates(sheet[["対象", "期限", "状況"]] if viewer.projection else sheet), hide_index=True,
                     width="stretch")

else:
    years = indicators.years(workbook) or [fiscal_year(today)]
    default = fiscal_year(today) if fiscal_year(today) in years else years[0]
    st.session_state.setdefault("plans_year", default)
    year = st.selectbox("年度", years, key="plans_year", format_func=fiscal_label)
    table = ui.shared(indicators.indicator_table, workbook, year, today)
    st.subheader(f"{fiscal_label(year)}の計画指標")
    if table.empty:
        st.info("この年度の計画指標がありません。「計画指標」タブに年度・指標・目標値を入れてください。")
    else:
        ui.indicator_table(table)
        differ = table[table["差異"]]
        if len(differ):
            st.caption("入力した実績値と、シートから数えた値が違う指標: " + "、".join(ui.esc(x) for x in differ["指標"])
                       + "（表の「実績値」は数えた値です）")
    left, right = st.columns(2)
    flow, held = indicators.monthly_flow(workbook, year), indicators.meetings_per_month(workbook, year)
    stages, issues = indicators.stages_over_time(workbook, year, today), indicators.issue_frequency(workbook)
    ui.chart_with_table(left, charts.monthly_flow(flow), charts.as_table(flow, "区分"), "月ごとの新規受付と終結")
    ui.chart_with_table(right, charts.meetings_per_month(held), charts.as_table(held, "種別"), "月ごとの会議")
    ui.chart_with_table(left, charts.stages_over_time(stages, estimated=not workbook.has("段階履歴")),
                        charts.as_table(stages, "段階"), "月末ごとの段階別世帯数")
    ui.chart_with_table(right, charts.issue_frequency(issues), charts.as_table(issues, None), "課題ごとの世帯数（支援中）")

    st.subheader("年度ごとの実績（報告書用）")
    report = indicators.annual_report(workbook, years, today)
    st.dataframe(report, hide_index=True, width="stretch")
    ui.audited_download("実績表を Excel でダウンロード", lambda: export.to_xlsx({"実績": report}),
                        f"実施計画_実績_{dt.date.today():%Y%m%d}.xlsx", what="実施計画の実績表", households=0,
                        icon=":material/download:",
                        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    if viewer.user.role in (users.ADMIN, users.COORDINATOR) and not viewer.projection:
        ui.report_panel(workbook, viewer.user, year, today)
