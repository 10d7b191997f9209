"""Closed cases of all districts in urgency order read from an index of their own.

``ix_case_closed_urgency`` is a partial index (``status = 'closed'``) on the urgency
columns of ``ix_case_urgency_all``. That index keeps the status at its end, so a page of
closed cases across all districts walked past every open case ranked before them: 17.8 ms
of CPU a page at 1,000,000 cases, against 3 ms with this index (bench/README.md, #19).

Write cost: one more B-tree, touched only by closed cases (about a third of a big store).
Built on a 1,000,000-case store in 5 s (0.9 s CPU). No synced column changes (no trigger
to remake). ``IF NOT EXISTS``: a store whose first sync was cut while its indexes were
dropped makes them again (from the models) before it migrates.

Revision ID: 0019
Revises: 0016
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0016"
branch_labels = None
depends_on = None

# As the models had them at this revision (migrations never import the models' lists).
COLUMNS = ["deleted", "priority_rank", "risk_rank", "due_key", "opened_at", "id"]


def upgrade() -> None:
    op.create_index("ix_case_closed_urgency", "case", COLUMNS, if_not_exists=True,
                    sqlite_where=sa.text("status = 'closed'"))


def downgrade() -> None:
    op.drop_index("ix_case_closed_urgency", "case", if_exists=True)
