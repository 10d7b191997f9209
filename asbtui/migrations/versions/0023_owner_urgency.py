""""My cases" in urgency order read from an index that begins with the owner.

``ix_case_urgency_by_owner`` holds the urgency columns of ``ix_case_urgency`` after the
owner, with the district and status at its end. The queue filtered to one officer's
cases walked the district's urgency index and tested the owner on every entry: for an
officer with 7,506 open cases of Thanet's 50,000 at 1,000,000 cases, a first page took
14-19 ms (against 2 ms for the district's queue), over the 16.7 ms goal (bench/README.md,
#19). Walked from the owner, a page reads only that officer's cases, in order.

Write cost: one more B-tree on the case table. Analysed as it is made (see below). No
synced column changes (no trigger to remake). ``IF NOT EXISTS``: a store whose first
sync was cut while its indexes were dropped makes them again (from the models) before
it migrates.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-08
"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

# As the models have them at this revision (migrations never import the models' lists).
COLUMNS = ["deleted", "owner_id", "priority_rank", "risk_rank", "due_key", "opened_at", "id",
           "district", "status"]


def upgrade() -> None:
    op.create_index("ix_case_urgency_by_owner", "case", COLUMNS, if_not_exists=True)
    # Its planner statistics at once (as the store's others were made: a sample of 1,000
    # rows an index). Without them SQLite guessed it selective for ``deleted = 0`` and read
    # the case review marks' million open cases through it, not the covering ref index.
    op.execute("PRAGMA analysis_limit=1000")
    op.execute("ANALYZE ix_case_urgency_by_owner")


def downgrade() -> None:
    op.drop_index("ix_case_urgency_by_owner", "case", if_exists=True)
