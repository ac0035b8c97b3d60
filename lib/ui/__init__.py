"""The only part of lib that imports streamlit: session and snapshot, sign-in, shared widgets.

Screens use `from lib import ui` and call what is listed here.
"""
from lib.ui.session import (audit, audit_once, audited_download, backups, state_folder, current_snapshot, household_exists, keep_widget_state,
                            projection_on, requested_path, save, secrets, setting, sidebar, stale_days, source_info, today,
                            workbook_for_page, write_workbook)
from lib.ui.signin import auth_settings, current_user, sign_in_form
from lib.ui.widgets import (BOARD_PAGE, CARD_CSS, CHECK_PAGE, HOUSEHOLD_PAGE, PROJECTION_CSS, RESOURCES_PAGE,
                            board_column, card_html, dates, indicator_table, date_style, esc, household_link, household_summary_html,
                            left_out_notice)

__all__ = ["audit", "audit_once", "backups", "state_folder", "audited_download", "current_snapshot", "household_exists", "keep_widget_state", "projection_on",
           "requested_path", "save", "secrets", "setting", "sidebar", "stale_days", "source_info", "today", "workbook_for_page",
           "write_workbook", "auth_settings", "current_user", "sign_in_form", "BOARD_PAGE", "CARD_CSS", "CHECK_PAGE",
           "HOUSEHOLD_PAGE", "PROJECTION_CSS", "RESOURCES_PAGE", "board_column", "card_html", "dates", "indicator_table", "date_style", "esc", "household_link",
           "household_summary_html", "left_out_notice"]
