"""Writes of statements, one function per state change (docs/architecture.md).

- `consumption.py`: consumption from billing or a staff CSV import, corrections, adjustments;
- `drafting.py`: the monthly drafts (exactly once per partner and month), re-drafting;
- `workflow.py`: send, confirm, dispute, the thread, paid;
- `einvoices.py`: e-invoice references on statements and top-ups.
"""
