"""Guidance: decision theory for troubleshooting, on abstract problems (faults, actions, questions).

The planner (which step next, when to stop), the exact optimum for small problems, learning the
numbers from outcomes, and the simulator that compares policies. It knows nothing of tree files,
sessions or databases: :mod:`triage.trees.fix_groups` turns a tree's fix group into a problem here
and :mod:`triage.records.history` turns stored sessions into evidence.

May import: :mod:`triage.errors` only.
"""
