"""Tsunagu Board library, cut by domain: workbook, casework, meetings, access (pure, no streamlit) and ui (the only streamlit importer)."""
