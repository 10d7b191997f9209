"""Kept patterns: each district's rows versioned, their read index dropped.

``pattern_snapshot_district.version`` is a fresh random token written with every change
of a district's kept rows by a refresh (or a full computation): a process that keeps the
rows it read in memory (``services/pattern_snapshot.py``) reads them again only for a
district whose token moved, or whose keys are marked (the triggers that forget kept rows
at once always mark them). The rows of districts not changed are not read at every look.

``ix_pattern_snapshot_read (district, spans, reports)`` goes: the read of every kept row
of a district through the table is as fast as through it at 1,000,000 cases (both about
170 ms all districts), and a day's move rewrites ~10,000 rows scattered over both B-trees
(its WAL 47 MB with the index, 34 MB without).

Neither is synced (device-local). No kept row is forgotten: the token starts empty, which
no process has read yet.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = {row[1] for row in op.get_bind().exec_driver_sql(
        "PRAGMA table_info(pattern_snapshot_district)")}
    if "version" not in columns:
        op.execute("ALTER TABLE pattern_snapshot_district "
                   "ADD COLUMN version TEXT NOT NULL DEFAULT ''")
    op.execute("DROP INDEX IF EXISTS ix_pattern_snapshot_read")


def downgrade() -> None:
    op.execute("CREATE INDEX IF NOT EXISTS ix_pattern_snapshot_read "
                "ON pattern_snapshot (district, spans, reports)")
    op.execute("ALTER TABLE pattern_snapshot_district DROP COLUMN version")
