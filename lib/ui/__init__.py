"""The only part of lib that imports streamlit: session and snapshot, sign-in, shared widgets.

Screens use `from lib import ui` and call what is listed here.
"""
from lib.ui.session import (audit, audit_once, backups, complete_sheet, current_snapshot, current_viewer, first_steps,
                            when_state_down,
                            household_exists, household_ids, keep_widget_state, missing_sheet_parts, projection_on, referral_days, refresh,
                            requested_path, retention_years, save, sees_outreach, secrets, setting, shared, sidebar, sheets_read_whole_each_time, source_info, stale_days, state_folder,
                            today, workbook_for_page, write_workbook)
from lib.ui.signin import (auth_settings, current_user, must_change_password, sign_in_by_cookie, sign_in_form,
                           sign_out_button)
from lib.ui.user_forms import import_panel, password_form, users_panel
from lib.ui.settings_forms import settings_panel, workbook_settings
from lib.ui.downloads import DownloadRefused, audited_download, paper_downloads
from lib.ui.widgets import (BOARD_PAGE, CARD_CSS, CHECK_PAGE, HOUSEHOLD_PAGE, PROJECTION_CSS, RESOURCES_PAGE,
                            board_column, card_html, chart_with_table, conflict_table, date_style, dates, esc, household_link,
                            household_summary_html, household_choice, indicator_table, left_out_notice,
                            paged_table)
from lib.ui.entry_forms import (allowed_to_record, card_menu, household_entries, intake_form, open_card_menu,
                                start_participation)
from lib.ui.forms import flash
from lib.ui.referral_forms import household_referrals, inbox_panel
from lib.ui.outreach_forms import outreach_panel
from lib.ui.report_forms import prefecture_panel, report_panel
from lib.ui.import_forms import file_key, import_mappings, import_rows, read_upload, save_import_mapping

__all__ = [
    "audit", "audit_once", "audited_download", "paper_downloads", "backups", "current_snapshot", "current_viewer", "first_steps",
    "household_exists", "when_state_down",
    "household_ids", "keep_widget_state", "missing_sheet_parts", "complete_sheet", "projection_on", "referral_days", "refresh", "requested_path", "retention_years", "save", "secrets", "setting", "shared",
    "sheets_read_whole_each_time", "sidebar", "source_info", "stale_days", "state_folder", "today", "workbook_for_page", "write_workbook",
    "auth_settings", "current_user", "sign_in_by_cookie", "sign_in_form", "sign_out_button", "DownloadRefused", "must_change_password",
    "import_panel", "password_form", "users_panel", "settings_panel", "workbook_settings",
    "BOARD_PAGE", "CARD_CSS", "CHECK_PAGE", "HOUSEHOLD_PAGE", "PROJECTION_CSS", "RESOURCES_PAGE", "board_column",
    "card_html", "conflict_table", "date_style", "dates", "esc", "household_link", "household_summary_html",
    "household_choice", "indicator_table", "left_out_notice", "paged_table",
    "allowed_to_record", "card_menu", "flash", "start_participation", "household_entries", "intake_form", "open_card_menu", "household_referrals", "inbox_panel",
    "outreach_panel", "sees_outreach", "file_key", "import_mappings", "import_rows", "read_upload", "save_import_mapping",
    "prefecture_panel", "report_panel",
]
