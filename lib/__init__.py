"""Tsunagu Board library: pure functions over the town's workbook (no streamlit here, except lib/ui.py)."""
