"""Walk: one diagnostic session, step by step, to one explained decision.

The session (the engine, event-sourced), the policy that turns where a walk ends into
resolved / escalate / visit, the hand-off, and scenario tests (which walk trees).

May import: :mod:`triage.trees`, :mod:`triage.guidance`, :mod:`triage.i18n`, :mod:`triage.errors`.
Never the records, the desk or a front end.
"""
