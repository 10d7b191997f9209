"""The ASB Case Review marks count each case's reports from the incident index alone.

``ix_incident_case`` (district, case, time, deleted flag, case reference) gains
``reported_at`` at its end, so the queue's marks (``case_review.cases_meeting_threshold``)
read the reports of a district's open cases from the index without visiting each
incident's row: at 1,000,000 cases (3M incidents) the Thanet marks took 0.95 s of CPU with
the row lookups and 0.34 s without them (1.9 s before issue 19; bench/README.md).

Write cost: no new index, so an incident's insert touches the same B-trees as before;
each entry of this one is some 27 bytes longer (the ISO time). Rebuilding it on a store
of 3M incidents took 16 s (8 s CPU) here. The store's statistics are renewed after a
migration. No synced column or table changes (no trigger to remake).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

BEFORE = ["district", "case_id", "occurred_at", "deleted", "case_ref"]


def upgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_incident_case")
    op.create_index("ix_incident_case", "incident", [*BEFORE, "reported_at"])


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_incident_case")
    op.create_index("ix_incident_case", "incident", BEFORE)
