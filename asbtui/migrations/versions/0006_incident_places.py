"""Each incident carries its case's reference, district, location and place keys.

Incidents are append-only and a case's reference, district and location are fixed when it
is opened, so the copies never go stale. With them (and covering indexes on incidents,
people and imported incidents) each grouping of the patterns of concern reads one index
instead of joining every incident in the window to its case.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

DISTRICTS = ("ASH", "CAN", "DAR", "DOV", "FOL", "GRA", "MAI", "MED", "SEV", "SWA", "THA", "TON",
             "TUN")
COPIES = ("case_ref", "case_location", "address_key", "street_key", "postcode_key")
INCIDENT_INDEXES = {
    # The grouping columns, then what is counted and filtered on: answered from the index.
    "ix_incident_address": ("district", "address_key", "case_ref", "case_location",
                            "occurred_at", "deleted"),
    "ix_incident_street": ("district", "street_key", "case_ref", "case_location",
                           "occurred_at", "deleted"),
    "ix_incident_postcode": ("district", "postcode_key", "case_ref", "occurred_at", "deleted"),
    "ix_incident_case": ("district", "case_id", "occurred_at", "deleted", "case_ref"),
}


def _district() -> sa.Enum:
    return sa.Enum(*DISTRICTS, name="district", native_enum=False, length=32,
                   create_constraint=False)


def upgrade() -> None:
    op.add_column("incident", sa.Column("district", _district(), nullable=True))
    for name in COPIES:
        op.add_column("incident", sa.Column(name, sa.String(), nullable=False, server_default=""))
    # Fill the copies on rows written before this revision from their cases.
    op.execute(
        "UPDATE incident SET (district, case_ref, case_location, address_key, street_key, "
        "postcode_key) = (SELECT c.district, c.ref, c.location, c.address_key, c.street_key, "
        'c.postcode_key FROM "case" AS c WHERE c.id = incident.case_id)')
    # Every incident has a case (a foreign key), so every row now has its district.
    with op.batch_alter_table("incident") as batch:
        batch.alter_column("district", existing_type=_district(), nullable=False)
    for name, columns in INCIDENT_INDEXES.items():
        op.create_index(name, "incident", list(columns))
    op.create_index("ix_party_case_role", "party",
                    ["case_id", "role", "person_key", "name", "deleted"])
    op.create_index("ix_party_role_person", "party", ["role", "person_key", "case_id", "deleted"])
    op.create_index("ix_case_deleted", "case", ["ref"], sqlite_where=sa.text("deleted = 1"))
    op.drop_index("ix_imported_street", "importedincident")
    op.create_index("ix_imported_street", "importedincident",
                    ["district", "street_key", "month", "deleted"])
    op.create_index("ix_imported_lsoa", "importedincident",
                    ["district", "lsoa_code", "month", "deleted"])
    # An LSOA's name, read from the index rather than from every row of the LSOA.
    op.drop_index("ix_importedincident_lsoa_code", "importedincident")
    op.create_index("ix_imported_lsoa_name", "importedincident", ["lsoa_code", "lsoa_name"])


def downgrade() -> None:
    op.drop_index("ix_imported_lsoa_name", "importedincident")
    op.create_index("ix_importedincident_lsoa_code", "importedincident", ["lsoa_code"])
    op.drop_index("ix_imported_lsoa", "importedincident")
    op.drop_index("ix_imported_street", "importedincident")
    op.create_index("ix_imported_street", "importedincident", ["district", "street_key", "month"])
    op.drop_index("ix_case_deleted", "case")
    op.drop_index("ix_party_role_person", "party")
    op.drop_index("ix_party_case_role", "party")
    for name in INCIDENT_INDEXES:
        op.drop_index(name, "incident")
    with op.batch_alter_table("incident") as batch:
        for name in ("district", *COPIES):
            batch.drop_column(name)
