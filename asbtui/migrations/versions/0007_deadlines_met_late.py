"""A deadline met by a step after it passed keeps when it was met; deadlines page by key.

``deadline.met_at``: a hearing held, or a review done, after its statutory time is
recorded as missed, with the time it was met late (ABCPA s80(3), s28 and the like), so a
late step never turns a missed deadline into a met one. ``ix_deadline_open_due`` and
``ix_deadline_open_district`` let the deadlines list (of every district, or of one) page
by (due, id), and count itself, from an index.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("deadline", sa.Column("met_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_deadline_open_due", "deadline", ["status", "deleted", "due_at", "id"])
    op.create_index("ix_deadline_open_district", "deadline",
                    ["status", "deleted", "district", "due_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_deadline_open_district", "deadline")
    op.drop_index("ix_deadline_open_due", "deadline")
    with op.batch_alter_table("deadline") as batch:
        batch.drop_column("met_at")
