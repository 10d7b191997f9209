"""Duplicate matching reads a place's open cases newest first from its index alone.

``ix_case_address`` and ``ix_case_postcode`` become covering indexes of the key, the
status, the opening time, the reference and the soft-delete flag: on a store where a
street is shared by thousands of cases, the matcher walks the index newest first and
stops at its candidate limit instead of reading every case's row. ``ix_case_district_review``
gives a supervisor's My day a district's reviews soonest first, so it stops at its limit.
No synced column or table changes (no trigger to remake).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

MATCH = ("status", "opened_at", "ref", "deleted")


def upgrade() -> None:
    op.drop_index("ix_case_address", table_name="case")
    op.drop_index("ix_case_postcode", table_name="case")
    op.create_index("ix_case_address", "case", ["address_key", *MATCH])
    op.create_index("ix_case_postcode", "case", ["postcode_key", *MATCH])
    op.create_index("ix_case_district_review", "case",
                    ["district", "next_review", "status", "deleted"])


def downgrade() -> None:
    op.drop_index("ix_case_district_review", table_name="case")
    op.drop_index("ix_case_address", table_name="case")
    op.drop_index("ix_case_postcode", table_name="case")
    op.create_index("ix_case_address", "case", ["district", "address_key"])
    op.create_index("ix_case_postcode", "case", ["postcode_key"])
