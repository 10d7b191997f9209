"""The first schema: officers, cases, incidents, parties, partner notes, actions, search.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
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


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=32, create_constraint=False)


def _synced() -> list[sa.Column]:
    return [
        sa.Column("updated_at", sa.String(), nullable=False),
        sa.Column("origin", sa.String(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
    ]


def _case_child(name: str, *columns: sa.Column) -> None:
    op.create_table(
        name,
        *_synced(),
        sa.Column("case_id", sa.String(), nullable=False),
        *columns,
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(f"ix_{name}_case_id", name, ["case_id"])
    op.create_index(f"ix_{name}_updated_at", name, ["updated_at"])


def upgrade() -> None:
    op.create_table(
        "store_meta",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "officer",
        *_synced(),
        sa.Column("collar", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("district", _enum("district", *DISTRICTS), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("collar"),
    )
    op.create_index("ix_officer_district", "officer", ["district"])
    op.create_index("ix_officer_updated_at", "officer", ["updated_at"])

    channel = ("101", "999", "online", "patrol", "partner")
    op.create_table(
        "case",
        *_synced(),
        sa.Column("ref", sa.String(), nullable=False),
        sa.Column("district", _enum("district", *DISTRICTS), nullable=False),
        sa.Column(
            "category", _enum("category", "personal", "nuisance", "environmental"), nullable=False
        ),
        sa.Column("channel", _enum("channel", *channel), nullable=False),
        sa.Column(
            "status",
            _enum(
                "casestatus",
                "open",
                "under_investigation",
                "action_in_progress",
                "monitoring",
                "closed",
            ),
            nullable=False,
        ),
        sa.Column("risk", _enum("risklevel", "standard", "medium", "high"), nullable=False),
        sa.Column("hate_motivated", sa.Boolean(), nullable=False),
        sa.Column("summary", sa.String(), nullable=False),
        sa.Column("location", sa.String(), nullable=False),
        sa.Column("postcode", sa.String(), nullable=False),
        sa.Column("owner_id", sa.String(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_review", sa.Date(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "closure_reason",
            _enum(
                "closurereason",
                "resolved",
                "no_further_reports",
                "enforcement_complete",
                "referred_to_partner",
                "victim_withdrew",
                "no_asb_found",
                "duplicate",
            ),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["officer.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ref"),
    )
    op.create_index("ix_case_queue", "case", ["district", "status", "risk", "next_review"])
    op.create_index("ix_case_opened", "case", ["district", "opened_at"])
    op.create_index("ix_case_owner_id", "case", ["owner_id"])
    op.create_index("ix_case_updated_at", "case", ["updated_at"])

    _case_child(
        "incident",
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", _enum("channel", *channel), nullable=False),
        sa.Column(
            "incident_type",
            _enum(
                "incidenttype",
                "noise",
                "drug_activity",
                "gatherings",
                "harassment",
                "intimidation",
                "verbal_abuse",
                "vehicle_nuisance",
                "criminal_damage",
                "graffiti",
                "fly_tipping",
                "litter",
                "drunken_behaviour",
                "neighbour_dispute",
                "other",
            ),
            nullable=False,
        ),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("crime_ref", sa.String(), nullable=False),
        sa.Column("location", sa.String(), nullable=False),
    )
    _case_child(
        "party",
        sa.Column(
            "role",
            _enum("partyrole", "victim", "perpetrator", "witness", "reporter"),
            nullable=False,
        ),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("phone", sa.String(), nullable=False),
        sa.Column("vulnerable", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.String(), nullable=False),
    )
    _case_child(
        "partnernote",
        sa.Column("agency", sa.String(), nullable=False),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
    )
    _case_child(
        "enforcementaction",
        sa.Column("power", sa.String(), nullable=False),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_deadline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("concerns", sa.String(), nullable=False),
        sa.Column("notes", sa.String(), nullable=False),
    )
    # Type-ahead search over refs, names, addresses and summaries (one row per case,
    # kept by asbtui.services.search whenever a case or its parties change). case_id is
    # indexed so that a case's row is found by MATCH, not by scanning (case rowids are not
    # stable across VACUUM, so they cannot link the two tables).
    op.execute(
        "CREATE VIRTUAL TABLE case_search USING fts5("
        "case_id, ref, summary, location, people, "
        "tokenize='unicode61 remove_diacritics 2', prefix='2 3')"
    )


def downgrade() -> None:
    op.execute("DROP TABLE case_search")
    for table in (
        "enforcementaction",
        "partnernote",
        "party",
        "incident",
        "case",
        "officer",
        "store_meta",
    ):
        op.drop_table(table)
