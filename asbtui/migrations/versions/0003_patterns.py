"""Patterns of concern: normalised place and person keys; data.police.uk imports.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from datetime import date

import sqlalchemy as sa
from alembic import op

from asbtui.services.places import address_key, person_key, postcode_key, street_key

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

DISTRICTS = ("ASH", "CAN", "DAR", "DOV", "FOL", "GRA", "MAI", "MED", "SEV", "SWA", "THA", "TON",
             "TUN")


def upgrade() -> None:
    with op.batch_alter_table("case") as batch:
        for name in ("street_key", "address_key", "postcode_key"):
            batch.add_column(sa.Column(name, sa.String(), nullable=False, server_default=""))
    op.create_index("ix_case_street", "case", ["district", "street_key"])
    op.create_index("ix_case_address", "case", ["district", "address_key"])
    op.create_index("ix_case_postcode", "case", ["postcode_key"])
    with op.batch_alter_table("party") as batch:
        batch.add_column(sa.Column("person_key", sa.String(), nullable=False, server_default=""))
    op.create_index("ix_party_person_key", "party", ["person_key"])

    # Fill the keys of rows written before this revision (the same functions as new rows).
    connection = op.get_bind()
    cases = connection.execute(sa.text('SELECT id, location, postcode FROM "case"')).all()
    if cases:
        connection.execute(
            sa.text('UPDATE "case" SET street_key = :s, address_key = :a, postcode_key = :p '
                    "WHERE id = :id"),
            [{"id": i, "s": street_key(loc), "a": address_key(loc), "p": postcode_key(pc)}
             for i, loc, pc in cases],
        )
    parties = connection.execute(sa.text("SELECT id, name, date_of_birth FROM party")).all()
    if parties:
        connection.execute(
            sa.text("UPDATE party SET person_key = :k WHERE id = :id"),
            [{"id": i, "k": person_key(name, date.fromisoformat(dob) if dob else None)}
             for i, name, dob in parties],
        )

    op.create_table(
        "importedincident",
        sa.Column("updated_at", sa.String(), nullable=False),
        sa.Column("origin", sa.String(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("source_key", sa.String(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("district", sa.Enum(*DISTRICTS, name="district", native_enum=False,
                                      length=32, create_constraint=False), nullable=False),
        sa.Column("reported_by", sa.String(), nullable=False),
        sa.Column("falls_within", sa.String(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("location", sa.String(), nullable=False),
        sa.Column("street_key", sa.String(), nullable=False),
        sa.Column("lsoa_code", sa.String(), nullable=False),
        sa.Column("lsoa_name", sa.String(), nullable=False),
        sa.Column("context", sa.String(), nullable=False),
        sa.Column("source_file", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_key"),
    )
    op.create_index("ix_importedincident_lsoa_code", "importedincident", ["lsoa_code"])
    op.create_index("ix_importedincident_updated_at", "importedincident", ["updated_at"])
    op.create_index("ix_imported_district_month", "importedincident", ["district", "month"])
    op.create_index("ix_imported_street", "importedincident", ["district", "street_key", "month"])


def downgrade() -> None:
    op.drop_table("importedincident")
    op.drop_index("ix_party_person_key", "party")
    with op.batch_alter_table("party") as batch:
        batch.drop_column("person_key")
    for index in ("ix_case_street", "ix_case_address", "ix_case_postcode"):
        op.drop_index(index, "case")
    with op.batch_alter_table("case") as batch:
        for name in ("street_key", "address_key", "postcode_key"):
            batch.drop_column(name)
