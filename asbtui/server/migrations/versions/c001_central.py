"""The central store: devices, rows as JSON with per-field writers, the change log by scope.

Revision ID: c001
Revises:
Create Date: 2026-11-26
"""

from alembic import op

revision = "c001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = [
    """CREATE TABLE device (
        id text PRIMARY KEY,
        name text NOT NULL,
        code_hash text UNIQUE,
        key_hash text UNIQUE,
        districts text NOT NULL DEFAULT '',
        store_id text,
        created_at timestamptz NOT NULL,
        enrolled_at timestamptz,
        revoked_at timestamptz,
        last_seq bigint NOT NULL DEFAULT 0,
        last_push_at timestamptz)""",
    # One row of any synced table: its fields as the device wrote them (SQLite's values),
    # and for each field the revision, device, user and time of its last write.
    """CREATE TABLE record (
        tbl text NOT NULL,
        key text NOT NULL,
        data jsonb NOT NULL,
        fields jsonb NOT NULL,
        rev bigint NOT NULL,
        district text,
        case_id text,
        PRIMARY KEY (tbl, key))""",
    "CREATE INDEX ix_record_case ON record (case_id, tbl) WHERE case_id IS NOT NULL",
    "CREATE INDEX ix_record_user ON record ((data->>'username')) WHERE tbl = 'app_user'",
    "CREATE SEQUENCE rev_seq",
    "CREATE TABLE scope_counter (scope text PRIMARY KEY, version bigint NOT NULL)",
    """CREATE TABLE change (
        scope text NOT NULL,
        version bigint NOT NULL,
        tbl text NOT NULL,
        key text NOT NULL,
        op text NOT NULL,
        data jsonb,
        rev bigint NOT NULL,
        device text NOT NULL,
        seq bigint,
        PRIMARY KEY (scope, version))""",
    # Each (device, sequence) applied, once: the primary key refuses a second time.
    """CREATE TABLE applied (
        device text NOT NULL,
        seq bigint NOT NULL,
        tbl text NOT NULL,
        key text NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (device, seq))""",
    """CREATE TABLE conflict (
        id bigserial PRIMARY KEY,
        tbl text NOT NULL,
        key text NOT NULL,
        field text NOT NULL,
        district text,
        case_ref text,
        server_value jsonb,
        server_rev bigint,
        server_device text,
        server_user text,
        server_at text,
        device_value jsonb,
        device_id text NOT NULL,
        device_user text NOT NULL,
        device_at text,
        opened_at timestamptz NOT NULL DEFAULT now(),
        resolved_at timestamptz,
        resolved_by text,
        resolution jsonb)""",
    "CREATE INDEX ix_conflict_open ON conflict (district) WHERE resolved_at IS NULL",
    # Each device's audit chain as pushed: the anchor its own log is verified against.
    """CREATE TABLE audit_log (
        device text NOT NULL,
        seq bigint NOT NULL,
        event jsonb NOT NULL,
        hash text NOT NULL,
        prev_hash text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (device, seq))""",
]


def upgrade() -> None:
    for statement in TABLES:
        op.execute(statement)


def downgrade() -> None:
    for table in ("audit_log", "conflict", "applied", "change", "scope_counter", "record",
                  "device"):
        op.execute(f"DROP TABLE IF EXISTS {table}")
    op.execute("DROP SEQUENCE IF EXISTS rev_seq")
