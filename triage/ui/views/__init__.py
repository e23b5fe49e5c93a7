"""One module per page; each has a ``render()`` that draws it (thin: the work is in ``triage``)."""
