"""Corrections of cases, incidents and people; how a case was closed; people by phone;
linked cases, and duplicates merged into the case that stays.

A ``correction`` row keeps each field put right (what it was, what it became, who, when,
why), and each wrongly entered record removed. A closed case also records its closing
summary and whether the victim was asked how satisfied they are, with the answer.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

SATISFACTION = ("very_satisfied", "satisfied", "neither", "dissatisfied", "very_dissatisfied",
                "declined")


# Digits only, then +44 / 0044 / 44 in front of a UK number as its leading 0.
_DIGITS = "phone"
for _char in (" ", "-", "(", ")", "+", ".", "/"):
    _DIGITS = f"replace({_DIGITS}, '{_char}', '')"


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN: no table is rebuilt (so no partial index is lost).
    op.add_column("party", sa.Column("phone_key", sa.String(), nullable=False,
                                     server_default=""))
    op.execute(f"UPDATE party SET phone_key = {_DIGITS} WHERE phone != ''")
    op.execute("UPDATE party SET phone_key = '0' || substr(phone_key, 4) "
               "WHERE phone_key LIKE '440%'")
    op.execute("UPDATE party SET phone_key = '0' || substr(phone_key, 3) "
               "WHERE phone_key LIKE '44%' AND length(phone_key) >= 12")
    op.create_index("ix_party_phone", "party", ["phone_key"],
                    sqlite_where=sa.text("phone_key != ''"))
    op.create_table(
        "correction",
        sa.Column("updated_at", sa.String(), nullable=False),
        sa.Column("origin", sa.String(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("case_id", sa.String(), nullable=False),
        sa.Column("record_type", sa.String(), nullable=False),
        sa.Column("record_id", sa.String(), nullable=False),
        sa.Column("field_name", sa.String(), nullable=False),
        sa.Column("old_value", sa.String(), nullable=False),
        sa.Column("new_value", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("corrected_by", sa.String(), nullable=False),
        sa.Column("corrected_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_correction_updated_at", "correction", ["updated_at"])
    op.create_index("ix_correction_case", "correction", ["case_id", "corrected_at"])
    op.create_table(
        "caselink",
        sa.Column("updated_at", sa.String(), nullable=False),
        sa.Column("origin", sa.String(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("case_id", sa.String(), nullable=False),
        sa.Column("other_case_id", sa.String(), nullable=False),
        sa.Column("linked_by", sa.String(), nullable=False),
        sa.Column("linked_at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["other_case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("updated_at", "case_id", "other_case_id"):
        op.create_index(f"ix_caselink_{column}", "caselink", [column])
    op.add_column("case", sa.Column("merged_into_id", sa.String(), nullable=True))
    op.create_index("ix_case_merged_into", "case", ["merged_into_id"],
                    sqlite_where=sa.text("merged_into_id IS NOT NULL"))
    op.add_column("case", sa.Column("closing_summary", sa.String(), nullable=False,
                                    server_default=""))
    op.add_column("case", sa.Column("victim_asked", sa.Boolean(), nullable=True))
    op.add_column("case", sa.Column(
        "victim_satisfaction",
        sa.Enum(*SATISFACTION, name="victimsatisfaction", native_enum=False, length=32,
                create_constraint=False),
        nullable=True))


def downgrade() -> None:
    op.drop_index("ix_party_phone", "party")
    with op.batch_alter_table("party") as batch:
        batch.drop_column("phone_key")
    with op.batch_alter_table("case") as batch:
        batch.drop_column("victim_satisfaction")
        batch.drop_column("victim_asked")
        batch.drop_column("closing_summary")
        batch.drop_column("merged_into_id")
    op.drop_index("ix_case_merged_into", "case")
    for column in ("updated_at", "case_id", "other_case_id"):
        op.drop_index(f"ix_caselink_{column}", "caselink")
    op.drop_table("caselink")
    op.drop_index("ix_correction_case", "correction")
    op.drop_index("ix_correction_updated_at", "correction")
    op.drop_table("correction")
