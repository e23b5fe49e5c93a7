"""triage — `streamlit run app.py` starts the web app (self-service, agent console, queues, studio, analytics).

Imported by the server, this module is the app (``st.App``: the pages plus the sign-in routes, with start-up
before the first visitor, see :mod:`triage.ui.server`); run for a page, it draws the page.
"""

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

if get_script_run_ctx(suppress_warning=True) is None:
    from triage.ui import server

    app = st.App("app.py", routes=server.routes(), lifespan=server.lifespan, secrets=server.secrets())
else:
    from triage.ui.app import main

    main()
