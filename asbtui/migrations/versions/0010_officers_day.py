"""The officer's day: first-contact targets, victim update plans and contacts, case tasks,
case conferences, local letter templates.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
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


def upgrade() -> None:
    op.create_table(
        "firstcontact",
        *_synced(),
        sa.Column("case_id", sa.String(), sa.ForeignKey("case.id"), nullable=False, unique=True),
        sa.Column("district", _enum("district", *DISTRICTS), nullable=False),
        sa.Column("priority", _enum("risklevel", "standard", "medium", "high"), nullable=False),
        sa.Column("factors", sa.String(), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("met_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("met_by", sa.String(), nullable=False),
        sa.Column("method", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_firstcontact_updated_at", "firstcontact", ["updated_at"])
    op.create_index("ix_firstcontact_open", "firstcontact", ["district", "due_at"],
                    sqlite_where=sa.text("met_at IS NULL AND deleted = 0"))

    op.create_table(
        "victimupdateplan",
        *_synced(),
        sa.Column("party_id", sa.String(), sa.ForeignKey("party.id"), nullable=False,
                  unique=True),
        sa.Column("case_id", sa.String(), sa.ForeignKey("case.id"), nullable=False),
        sa.Column("district", _enum("district", *DISTRICTS), nullable=False),
        sa.Column("frequency_days", sa.Integer(), nullable=False),
        sa.Column("agreed", sa.String(), nullable=False),
        sa.Column("next_due", sa.Date(), nullable=False),
        sa.Column("last_contact_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_victimupdateplan_updated_at", "victimupdateplan", ["updated_at"])
    op.create_index("ix_victimupdate_case", "victimupdateplan", ["case_id", "next_due"])
    op.create_index("ix_case_owner_review", "case", ["owner_id", "next_review", "id"])
    op.create_index("ix_victimupdate_due", "victimupdateplan", ["district", "next_due"])

    op.create_table(
        "victimcontact",
        *_synced(),
        sa.Column("party_id", sa.String(), sa.ForeignKey("party.id"), nullable=False),
        sa.Column("case_id", sa.String(), sa.ForeignKey("case.id"), nullable=False),
        sa.Column("contacted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(), nullable=False),
        sa.Column("by_user", sa.String(), nullable=False),
        sa.Column("said", sa.String(), nullable=False),
        sa.Column("victim_view", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_victimcontact_updated_at", "victimcontact", ["updated_at"])
    op.create_index("ix_victimcontact_party_id", "victimcontact", ["party_id"])
    op.create_index("ix_victimcontact_case_id", "victimcontact", ["case_id"])

    op.create_table(
        "conference",
        *_synced(),
        sa.Column("district", _enum("district", *DISTRICTS), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("minutes_recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decisions", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_conference_updated_at", "conference", ["updated_at"])
    op.create_index("ix_conference_district", "conference", ["district", "held_at"])
    op.create_table(
        "conferencecase",
        *_synced(),
        sa.Column("conference_id", sa.String(), sa.ForeignKey("conference.id"), nullable=False),
        sa.Column("case_id", sa.String(), sa.ForeignKey("case.id"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_conferencecase_updated_at", "conferencecase", ["updated_at"])
    op.create_index("ix_conferencecase_conference_id", "conferencecase", ["conference_id"])
    op.create_index("ix_conferencecase_case_id", "conferencecase", ["case_id"])
    op.create_table(
        "conferenceattendee",
        *_synced(),
        sa.Column("conference_id", sa.String(), sa.ForeignKey("conference.id"), nullable=False),
        sa.Column("agency", sa.String(), nullable=False),
        sa.Column("agency_id", sa.String(), sa.ForeignKey("agency.id"), nullable=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_conferenceattendee_updated_at", "conferenceattendee", ["updated_at"])
    op.create_index("ix_conferenceattendee_conference_id", "conferenceattendee",
                    ["conference_id"])

    op.create_table(
        "casetask",
        *_synced(),
        sa.Column("case_id", sa.String(), sa.ForeignKey("case.id"), nullable=False),
        sa.Column("district", _enum("district", *DISTRICTS), nullable=False),
        sa.Column("what", sa.String(), nullable=False),
        sa.Column("owner_officer_id", sa.String(), sa.ForeignKey("officer.id"), nullable=True),
        sa.Column("owner_agency_id", sa.String(), sa.ForeignKey("agency.id"), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("conference_id", sa.String(), sa.ForeignKey("conference.id"), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_casetask_conference_id", "casetask", ["conference_id"])
    op.create_index("ix_casetask_updated_at", "casetask", ["updated_at"])
    op.create_index("ix_casetask_case_id", "casetask", ["case_id"])
    op.create_index("ix_casetask_officer", "casetask", ["owner_officer_id", "done_on", "due_on"])
    op.create_index("ix_casetask_agency", "casetask", ["owner_agency_id", "done_on", "due_on"])
    op.create_index("ix_casetask_district", "casetask", ["district", "done_on", "due_on"])

    op.create_table(
        "lettertemplate",
        *_synced(),
        sa.Column("kind", sa.String(), nullable=False, unique=True),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("updated_by", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_lettertemplate_updated_at", "lettertemplate", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_case_owner_review", "case")
    for table in ("lettertemplate", "casetask", "conferenceattendee", "conferencecase",
                  "conference", "victimcontact", "victimupdateplan", "firstcontact"):
        op.drop_table(table)
