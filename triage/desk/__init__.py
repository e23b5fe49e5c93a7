"""The desk: the logic behind every page, so a test can do what a page does without Streamlit.

- ``contact``: the agent console and self-service (find a tree, start, answer, decide, book, hand off);
- ``booking``: booking a decided visit over the next working days, moving and cancelling it (with its .ics);
- ``handover``: continue in another guide after a hand-over; ``media``: the pictures shipped with the trees;
- ``sessions``: open and resume stored walks; ``flags``: agents' flags on steps;
- ``queue``: tier 2's escalation cases; ``dispatch``: visits, bookings and technicians;
- ``studio/``: the author studio (folder, drafts, forms, preview, pictures);
- ``staff``: sign-in, accounts and which pages a role sees; ``clock``: times as pages show them.

May import: :mod:`triage.visits`, :mod:`triage.analytics`, :mod:`triage.records` and everything below.
Never Streamlit, never :mod:`triage.ui` or :mod:`triage.cli`.
"""
