"""Partner agencies, users and roles, case shares, note visibility, the audit chain.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

DISTRICTS = ("ASH", "CAN", "DAR", "DOV", "FOL", "GRA", "MAI", "MED", "SEV", "SWA", "THA", "TON",
             "TUN")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=32, create_constraint=False)


def _synced() -> list[sa.Column]:
    return [
        sa.Column("updated_at", sa.String(), nullable=False),
        sa.Column("origin", sa.String(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
    ]


def _indexes(table: str, *columns: str) -> None:
    op.create_index(f"ix_{table}_updated_at", table, ["updated_at"])
    for column in columns:
        op.create_index(f"ix_{table}_{column}", table, [column])


def upgrade() -> None:
    op.create_table(
        "agency",
        *_synced(),
        sa.Column("name", sa.String(), nullable=False, unique=True),
        sa.Column("kind", _enum("agencykind", "council", "housing", "business", "fire",
                                "health", "school", "youth_offending", "other"),
                  nullable=False),
        sa.Column("district", _enum("district", *DISTRICTS), nullable=True),
        sa.Column("contact_name", sa.String(), nullable=False),
        sa.Column("contact_email", sa.String(), nullable=False),
        sa.Column("contact_phone", sa.String(), nullable=False),
        sa.Column("isa_ref", sa.String(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    _indexes("agency")
    op.create_table(
        "app_user",
        *_synced(),
        sa.Column("username", sa.String(), nullable=False, unique=True),
        sa.Column("full_name", sa.String(), nullable=False),
        sa.Column("role", _enum("role", "officer", "supervisor", "partner", "admin"),
                  nullable=False),
        sa.Column("districts", sa.String(), nullable=False),
        sa.Column("agency_id", sa.String(), sa.ForeignKey("agency.id"), nullable=True),
        sa.Column("officer_id", sa.String(), sa.ForeignKey("officer.id"), nullable=True),
        sa.Column("pin_hash", sa.String(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    _indexes("app_user")
    op.create_table(
        "caseshare",
        *_synced(),
        sa.Column("case_id", sa.String(), sa.ForeignKey("case.id"), nullable=False),
        sa.Column("agency_id", sa.String(), sa.ForeignKey("agency.id"), nullable=False),
        sa.Column("shared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shared_by", sa.String(), nullable=False),
        sa.Column("justification", sa.String(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    _indexes("caseshare", "case_id", "agency_id")
    with op.batch_alter_table("partnernote") as batch:
        batch.add_column(sa.Column("agency_id", sa.String(), nullable=True))
        batch.add_column(sa.Column("visibility", _enum("notevisibility", "police", "named",
                                                       "all_partners"),
                                   nullable=False, server_default="police"))
        batch.add_column(sa.Column("supersedes_id", sa.String(), nullable=True))
        batch.create_foreign_key("fk_partnernote_agency", "agency", ["agency_id"], ["id"])
        batch.create_foreign_key("fk_partnernote_supersedes", "partnernote",
                                 ["supersedes_id"], ["id"])
        batch.create_index("ix_partnernote_agency_id", ["agency_id"])
    op.create_table(
        "noteaudience",
        *_synced(),
        sa.Column("note_id", sa.String(), sa.ForeignKey("partnernote.id"), nullable=False),
        sa.Column("agency_id", sa.String(), sa.ForeignKey("agency.id"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    _indexes("noteaudience", "note_id", "agency_id")
    with op.batch_alter_table("case") as batch:
        batch.add_column(sa.Column("retain_until", sa.Date(), nullable=True))
    op.create_table(
        "audit_event",
        sa.Column("seq", sa.Integer(), primary_key=True),
        sa.Column("at", sa.String(), nullable=False),
        sa.Column("device", sa.String(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("record_type", sa.String(), nullable=False),
        sa.Column("record_id", sa.String(), nullable=False),
        sa.Column("case_ref", sa.String(), nullable=False),
        sa.Column("detail", sa.String(), nullable=False),
        sa.Column("justification", sa.String(), nullable=False),
        sa.Column("prev_hash", sa.String(), nullable=False),
        sa.Column("hash", sa.String(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_audit_event_case", "audit_event", ["case_ref", "seq"])
    # The log is append-only: the app never updates or deletes a row, and these make
    # sure nothing else does by accident (audit verify finds what gets round them).
    for verb in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
                   "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END")


def downgrade() -> None:
    for verb in ("update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS audit_event_no_{verb}")
    op.drop_table("audit_event")
    with op.batch_alter_table("case") as batch:
        batch.drop_column("retain_until")
    op.drop_table("noteaudience")
    with op.batch_alter_table("partnernote") as batch:
        batch.drop_index("ix_partnernote_agency_id")
        batch.drop_constraint("fk_partnernote_supersedes", type_="foreignkey")
        batch.drop_constraint("fk_partnernote_agency", type_="foreignkey")
        for column in ("supersedes_id", "visibility", "agency_id"):
            batch.drop_column(column)
    op.drop_table("caseshare")
    op.drop_table("app_user")
    op.drop_table("agency")
