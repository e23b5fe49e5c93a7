"""The Streamlit front end: pages only. Pages call :mod:`triage.desk` (and read-only helpers below it);
they hold no business logic and never touch :mod:`triage.records` directly.
"""
