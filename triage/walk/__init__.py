"""Walk: one diagnostic session, step by step, to one explained decision.

- ``session``: the engine (:class:`~triage.walk.session.Session`), its transitions and serialisation;
- ``events``: the event log a session is rebuilt from (event sourcing) and replay;
- ``path``: where a walk is (frames of called procedures, answered steps);
- ``values``: reading an answer for the current step (options, action results, typed facts);
- ``views``: what a step shows (``StepView``, the breadcrumb);
- ``policy``: where a walk ends becomes resolved / escalate / visit, with the reasons;
- ``handoff``: the hand-off nobody has to re-ask (Markdown, JSON);
- ``scenarios``: scenario tests, and the library loaders that run them.

May import: :mod:`triage.trees`, :mod:`triage.guidance`, :mod:`triage.i18n`, :mod:`triage.errors`.
Never the records, the desk or a front end.
"""
