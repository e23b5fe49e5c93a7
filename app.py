"""triage — `streamlit run app.py` starts the web app (self-service, agent console, queues, studio, analytics)."""

from triage.ui.app import main

main()
