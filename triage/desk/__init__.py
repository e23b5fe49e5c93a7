"""The desk: the logic behind every page, so a test can do what a page does without Streamlit.

contact (agent console and self-service), queue (tier 2), dispatch (visits), studio (authors).

May import: :mod:`triage.visits`, :mod:`triage.analytics`, :mod:`triage.records` and everything below.
Never Streamlit, never :mod:`triage.ui` or :mod:`triage.cli`.
"""
