"""The Streamlit front end. Pages call ``triage``; they hold no business logic."""
