"""ASB Case Reviews, SARA problem profiles, and when each incident was reported.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
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
    op.add_column("incident", sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "casereview",
        *_synced(),
        sa.Column("case_id", sa.String(), sa.ForeignKey("case.id"), nullable=False),
        sa.Column("district", _enum("district", *DISTRICTS), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("requested_by", sa.String(), nullable=False),
        sa.Column("qualifying_reports", sa.Integer(), nullable=False),
        sa.Column("threshold_met", sa.Boolean(), nullable=False),
        sa.Column("decision", _enum("reviewdecision", "pending", "review", "no_review"),
                  nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("decision_reason", sa.String(), nullable=False),
        sa.Column("meeting_on", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("outcome_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    _indexes("casereview", "case_id")
    op.create_table(
        "problem",
        *_synced(),
        sa.Column("district", _enum("district", *DISTRICTS), nullable=True),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("owner", sa.String(), nullable=False),
        sa.Column("stage", _enum("problemstage", "scan", "analyse", "respond", "assess",
                                 "closed"), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("street_key", sa.String(), nullable=False),
        sa.Column("victim_analysis", sa.String(), nullable=False),
        sa.Column("offender_analysis", sa.String(), nullable=False),
        sa.Column("location_analysis", sa.String(), nullable=False),
        sa.Column("assessment", sa.String(), nullable=False),
        sa.Column("responses_started_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    _indexes("problem")
    op.create_table(
        "problemcase",
        *_synced(),
        sa.Column("problem_id", sa.String(), sa.ForeignKey("problem.id"), nullable=False),
        sa.Column("case_id", sa.String(), sa.ForeignKey("case.id"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    _indexes("problemcase", "problem_id", "case_id")
    op.create_table(
        "problemresponse",
        *_synced(),
        sa.Column("problem_id", sa.String(), sa.ForeignKey("problem.id"), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("owner", sa.String(), nullable=False),
        sa.Column("agency", sa.String(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    _indexes("problemresponse", "problem_id")


def downgrade() -> None:
    for table in ("problemresponse", "problemcase", "problem", "casereview"):
        op.drop_table(table)
    with op.batch_alter_table("incident") as batch:
        batch.drop_column("reported_at")
