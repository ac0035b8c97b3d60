"""社会資源マップ: resources on a map (with no network by default), the gaps by 地区, and
resources that fit a household for 参加支援."""
import pandas as pd
import streamlit as st

from lib.casework import charts, participation, resources
from lib.workbook import schema
from lib import ui
from lib.casework.resources import ResourceFilters

# Map background from the internet is off unless the town turns it on (LGWAN has no tiles):
# 受入実績 rows per page (a city has thousands of 受入先; the page sends only what is read):
RECORD_ROWS = 20
TILES_DEFAULT = ui.setting("map_tiles").lower() in ("on", "true", "1", "yes", "はい")

# Read data and widgets:
st.title("社会資源マップ")
workbook, viewer = ui.workbook_for_page()
ui.left_out_notice(workbook)
ui.first_steps("社会資源")
located, unusable = ui.shared(resources.locate, workbook)
areas = list(workbook["地区"]["地区名"])
with st.expander("絞り込み", icon=":material/filter_alt:"):
    c1, c2, c3 = st.columns(3)
    filters = ResourceFilters(
        kinds=tuple(c1.multiselect("種別", schema.RESOURCE_KINDS, placeholder="すべて", key="resources_kinds")),
        fields=tuple(c2.multiselect("分野", schema.FIELDS, placeholder="すべて", key="resources_fields")),
        areas=tuple(c3.multiselect("地区", areas, placeholder="すべて", key="resources_areas")),
        accepting_only=c1.toggle("受入可のものだけ", key="resources_accepting"))
st.session_state.setdefault("resources_tiles", TILES_DEFAULT)
tiles = st.toggle("インターネットの地図を背景にする", key="resources_tiles",
                  help="庁内ネットワーク（LGWAN）など、インターネットにつながらないときはオフのままにしてください。"
                       "オフでも点と地区名で位置がわかります。")
shown = resources.filter_resources(located, filters)

# Render the map:
dots, cell = resources.thin(shown)
st.caption(f"地図に出ている社会資源: {len(shown)}件（全{len(workbook['社会資源'])}件）"
           + (f"。点が多いため、近く（約{cell * 111:.1f}km四方）の同じ種別を1つの点にまとめています"
              "（点の大きさが件数。絞り込むと1件ずつ出ます）" if cell else ""))
centres = workbook["地区"].dropna(subset=["緯度", "経度"])[["地区名", "緯度", "経度"]]
if tiles:
    import pydeck as pdk
    colours = {k: [int(v[i:i + 2], 16) for i in (1, 3, 5)] for k, v in resources.KIND_COLOURS.items()}
    count = dots["件数"] if cell else pd.Series(1, index=dots.index)
    # deck.gl expressions want ASCII field names:
    data = pd.DataFrame({"name": dots["名称"], "kind": dots["種別"],
                         "address": dots["住所"].fillna("") if "住所" in dots else "",
                         "hours": dots["開設日時"].fillna("") if "開設日時" in dots else "",
                         "phone": dots["電話"].fillna("") if "電話" in dots else "",
                         "lat": dots["緯度"], "lon": dots["経度"], "color": dots["種別"].map(colours),
                         "radius": 80 * count.pow(0.5)})
    view = pdk.ViewState(latitude=float(data["lat"].mean() if len(data) else centres["緯度"].mean()),
                         longitude=float(data["lon"].mean() if len(data) else centres["経度"].mean()), zoom=12)
    layer = pdk.Layer("ScatterplotLayer", data=data, get_position=["lon", "lat"], get_fill_color="color",
                      get_radius="radius", pickable=True)
    # "text" tooltips are shown as plain text, so sheet values cannot inject HTML:
    st.pydeck_chart(pdk.Deck(layers=[layer], initial_view_state=view, map_style="light",
                             tooltip={"text": "{name}\n{kind}\n{address}\n{hours}\n{phone}"}))
else:
    st.altair_chart(charts.resource_map(dots, centres), width="stretch")
if len(unusable):
    st.subheader("地図に出せない社会資源")
    st.dataframe(unusable, hide_index=True, width="stretch")

# Render the gaps:
st.subheader("地区ごとの充足状況")
gaps = ui.shared(resources.gap_summary, workbook)
st.markdown("\n".join(f"- {ui.esc(line)}" for line in gaps) or "足りない種別のある地区はありません。")
table = ui.shared(resources.coverage, workbook)
kinds = [c for c in table.columns if c not in ("地区", "合計")]
st.dataframe(table.style.map(lambda v: "background-color: #ffcdd2; color: #b71c1c; font-weight: 700"
                             if v == 0 else "", subset=kinds), hide_index=True, width="stretch")
capita = ui.shared(resources.per_capita, workbook)
if len(capita):
    st.dataframe(capita, hide_index=True, width="stretch")

# 参加支援: resources that fit a household:
st.subheader("参加支援: 世帯に合う社会資源")
ids = resources.households_to_match(workbook)
names = dict(zip(workbook["世帯"]["世帯ID"], workbook["世帯"]["表示名"]))
left, right = st.columns([3, 1], vertical_alignment="bottom")
picked = ui.household_choice("世帯", {h: names.get(h, h) for h in ids}, key="resources_household", container=left)
widen = right.toggle("受入可でないものも", key="resources_widen")
if picked:
    suggestions = resources.suggest(workbook, picked, widen=widen)
    if suggestions:
        st.dataframe(pd.DataFrame([{"名称": s.name, "種別": s.kind, "地区": s.area,
                                    "距離（km）": None if s.distance_km is None else round(s.distance_km, 1),
                                    "理由": "／".join(s.reasons)} for s in suggestions]),
                     hide_index=True, width="stretch")
        if ui.allowed_to_record(picked, "参加支援"):
            left, right = st.columns([3, 1], vertical_alignment="bottom")
            start = left.selectbox("この社会資源で参加支援を始める（世帯詳細で打診を記録します）",
                                   [s.name for s in suggestions], index=None, key="resources_start",
                                   placeholder="受入先を選ぶ")
            if right.button("打診へ進む", disabled=start is None, icon=":material/arrow_forward:"):
                ui.start_participation(picked, start)
    else:
        st.info("条件に合う社会資源が見つかりませんでした。「受入可でないものも」をオンにすると広げて探します。")

# 受入実績 (from the 参加支援 records) and the resources being developed:
st.subheader("受入実績（参加支援）")
record = ui.shared(participation.resource_record, workbook)
if len(record):
    st.caption(f"受入先 {len(record)}か所・マッチング {int(record['マッチング'].sum())}件"
               f"（定着 {int(record['定着'].sum())}・進行中 {int(record['進行中'].sum())}・中断 {int(record['中断'].sum())}）。"
               "マッチングの多い順です")
    ui.paged_table(record, "resources_record_page", rows=RECORD_ROWS)
else:
    st.caption("まだ参加支援の記録がありません（世帯詳細の「記録する」→「参加支援」で記録します）。")
growing = ui.shared(participation.developing, workbook)
if len(growing):
    st.subheader("開拓中の社会資源")
    st.dataframe(growing, hide_index=True, width="stretch")
