"""Enforcement: action steps, deadlines, PSPO register; nearest deadline and vulnerable
victim flag on each case.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

DISTRICTS = (
    "ASH",
    "CAN",
    "DAR",
    "DOV",
    "FOL",
    "GRA",
    "MAI",
    "MED",
    "SEV",
    "SWA",
    "THA",
    "TON",
    "TUN",
)
AUTHORITIES = (
    "pcso",
    "constable",
    "sergeant",
    "inspector",
    "chief_inspector",
    "superintendent",
    "chief_superintendent",
    "council_officer",
    "council_chief_executive",
    "housing_provider",
    "prosecutor",
    "court",
)


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=32, create_constraint=False)


def _synced() -> list[sa.Column]:
    return [
        sa.Column("updated_at", sa.String(), nullable=False),
        sa.Column("origin", sa.String(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "pspo",
        *_synced(),
        sa.Column("district", _enum("district", *DISTRICTS), nullable=False),
        sa.Column("council", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("area", sa.String(), nullable=False),
        sa.Column("prohibitions", sa.String(), nullable=False),
        sa.Column("made_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_pspo_district", "pspo", ["district"])
    op.create_index("ix_pspo_updated_at", "pspo", ["updated_at"])
    op.create_table(
        "pspoextension",
        *_synced(),
        sa.Column("pspo_id", sa.String(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("new_expiry", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["pspo_id"], ["pspo.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_pspoextension_pspo_id", "pspoextension", ["pspo_id"])
    op.create_index("ix_pspoextension_updated_at", "pspoextension", ["updated_at"])

    with op.batch_alter_table("enforcementaction") as batch:
        batch.add_column(sa.Column("subject_party_id", sa.String(), nullable=True))
        batch.add_column(sa.Column("conduct", sa.String(), nullable=False, server_default=""))
        batch.add_column(sa.Column("pspo_id", sa.String(), nullable=True))
        batch.add_column(sa.Column("parent_action_id", sa.String(), nullable=True))
        batch.add_column(sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("closed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.create_foreign_key("fk_action_party", "party", ["subject_party_id"], ["id"])
        batch.create_foreign_key("fk_action_pspo", "pspo", ["pspo_id"], ["id"])
        batch.create_foreign_key(
            "fk_action_parent", "enforcementaction", ["parent_action_id"], ["id"]
        )
    with op.batch_alter_table("case") as batch:
        batch.add_column(sa.Column("next_deadline_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("vulnerable_victim", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute(
        'UPDATE "case" SET vulnerable_victim = 1 WHERE id IN (SELECT case_id FROM party '
        "WHERE role = 'victim' AND vulnerable AND NOT deleted)"
    )

    op.create_table(
        "actionstep",
        *_synced(),
        sa.Column("action_id", sa.String(), nullable=False),
        sa.Column("case_id", sa.String(), nullable=False),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("authorised_by", sa.String(), nullable=False),
        sa.Column("authority", _enum("authority", *AUTHORITIES), nullable=True),
        sa.Column("documents", sa.String(), nullable=False),
        sa.Column("notes", sa.String(), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["action_id"], ["enforcementaction.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_actionstep_action_id", "actionstep", ["action_id"])
    op.create_index("ix_actionstep_case_id", "actionstep", ["case_id"])
    op.create_index("ix_actionstep_updated_at", "actionstep", ["updated_at"])

    op.create_table(
        "deadline",
        *_synced(),
        sa.Column("case_id", sa.String(), nullable=True),
        sa.Column("action_id", sa.String(), nullable=True),
        sa.Column("pspo_id", sa.String(), nullable=True),
        sa.Column("step_id", sa.String(), nullable=True),
        sa.Column("district", _enum("district", *DISTRICTS), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("label", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            _enum("deadlinestatus", "open", "completed", "superseded", "missed"),
            nullable=False,
        ),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["action_id"], ["enforcementaction.id"]),
        sa.ForeignKeyConstraint(["pspo_id"], ["pspo.id"]),
        sa.ForeignKeyConstraint(["step_id"], ["actionstep.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_deadline_case_id", "deadline", ["case_id"])
    op.create_index("ix_deadline_action_id", "deadline", ["action_id"])
    op.create_index("ix_deadline_pspo_id", "deadline", ["pspo_id"])
    op.create_index("ix_deadline_updated_at", "deadline", ["updated_at"])
    op.create_index("ix_deadline_due", "deadline", ["status", "district", "due_at"])


def downgrade() -> None:
    for index, table in (("ix_deadline_due", "deadline"),):
        op.drop_index(index, table)
    op.drop_table("deadline")
    op.drop_table("actionstep")
    with op.batch_alter_table("case") as batch:
        batch.drop_column("vulnerable_victim")
        batch.drop_column("next_deadline_at")
    with op.batch_alter_table("enforcementaction") as batch:
        for name in ("fk_action_party", "fk_action_pspo", "fk_action_parent"):
            batch.drop_constraint(name, type_="foreignkey")
        for column in (
            "closed",
            "ends_at",
            "parent_action_id",
            "pspo_id",
            "conduct",
            "subject_party_id",
        ):
            batch.drop_column(column)
    op.drop_table("pspoextension")
    op.drop_table("pspo")
