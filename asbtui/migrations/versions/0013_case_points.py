"""Where a case's problem is, as a point (latitude, longitude), indexed for nearby matches.

The case's sync triggers are made again with the two new columns (the column list is
frozen here as it stands at this revision, as 0012 froze the others).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

import importlib

import sqlalchemy as sa
from alembic import op

from asbtui.sync.outbox import drop_trigger_sql, trigger_sql

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

POINT = ("latitude", "longitude")
CASE_BEFORE: tuple[str, ...] = importlib.import_module(
    "asbtui.migrations.versions.0012_sync_outbox").SYNCED["case"]


def upgrade() -> None:
    with op.batch_alter_table("case", recreate="never") as batch:
        for name in POINT:
            batch.add_column(sa.Column(name, sa.Float(), nullable=True))
    op.create_index("ix_case_point", "case", list(POINT),
                    sqlite_where=sa.text("latitude IS NOT NULL"))
    for statement in drop_trigger_sql("case") + trigger_sql("case", CASE_BEFORE + POINT):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_trigger_sql("case") + trigger_sql("case", CASE_BEFORE):
        op.execute(statement)
    op.drop_index("ix_case_point", "case")
    with op.batch_alter_table("case", recreate="never") as batch:
        for name in POINT:
            batch.drop_column(name)
