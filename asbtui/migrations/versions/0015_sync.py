"""Sync conflicts held on the device: what a supervisor settles, listed in My day offline.

A copy of the central store's open conflicts that concern this device (a supervisor's
districts', anyone else's own), replaced at each sync: not synced itself, no triggers.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from alembic import op

from asbtui.sync.outbox import CONFLICT_TABLE_SQL

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for statement in CONFLICT_TABLE_SQL:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS sync_conflict")
