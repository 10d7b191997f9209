"""Devices hold owned cases elsewhere (a setting of enrolment); refused changes are kept.

Revision ID: c002
Revises: c001
Create Date: 2026-12-07
"""

from alembic import op

revision = "c002"
down_revision = "c001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A patrol device holds its officers' districts and the cases they own elsewhere.
    op.execute("ALTER TABLE device ADD COLUMN IF NOT EXISTS owned boolean NOT NULL "
               "DEFAULT true")
    # A change the central store refused (outside the user's role or districts): who, what,
    # when, and whether the device was sent the central row back or told to remove its own.
    op.execute("""CREATE TABLE IF NOT EXISTS refusal (
        id bigserial PRIMARY KEY,
        tbl text NOT NULL,
        key text NOT NULL,
        district text,
        case_ref text,
        fields jsonb NOT NULL,
        device_id text NOT NULL,
        seq bigint NOT NULL,
        device_user text NOT NULL,
        device_at text,
        outcome text NOT NULL,
        refused_at timestamptz NOT NULL DEFAULT now())""")
    op.execute("CREATE INDEX IF NOT EXISTS ix_refusal_district ON refusal (district, id)")
    # A push repeated after its answer was lost is told its refusals again.
    op.execute("CREATE INDEX IF NOT EXISTS ix_refusal_device ON refusal (device_id, seq)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS refusal")
    op.execute("ALTER TABLE device DROP COLUMN IF EXISTS owned")
