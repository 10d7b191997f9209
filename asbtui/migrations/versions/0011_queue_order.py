"""The queue's urgency order as columns an index can walk, and an index per queue order.

``priority_rank``, ``risk_rank`` and ``due_key`` are virtual generated columns: SQLite
computes them from the risk, the vulnerable-victim flag, the review date and the nearest
deadline, so every writer (services, importer, sync) keeps them right without a call.
Each queue order gets an index that starts with ``deleted`` and the district (and one
without the district for the busiest orders across all districts) and ends with the id
and the status, so a page is a seek and a short walk instead of a sort of every case.
``ix_case_queue`` grows to cover the dashboard's grouped figures, and the search index is
rebuilt newest case first.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

COMPUTED = {
    "priority_rank": (sa.Integer(),
                      "CASE WHEN risk = 'high' OR vulnerable_victim THEN 0 ELSE 1 END"),
    "risk_rank": (sa.Integer(), "CASE risk WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END"),
    "due_key": (sa.String(), "min(coalesce(strftime('%Y-%m-%d 23:59', next_review), '9999'), "
                "coalesce(CAST(next_deadline_at AS VARCHAR), '9999'))"),
}
INDEXES = {
    "ix_case_urgency": ("deleted", "district", "priority_rank", "risk_rank", "due_key",
                        "opened_at", "id", "status"),
    "ix_case_urgency_all": ("deleted", "priority_rank", "risk_rank", "due_key", "opened_at",
                            "id", "status"),
    "ix_case_by_opened": ("deleted", "district", "opened_at", "id", "status"),
    "ix_case_by_opened_all": ("deleted", "opened_at", "id", "status"),
    "ix_case_by_ref": ("deleted", "district", "ref", "id", "status"),
    "ix_case_by_category": ("deleted", "district", "category", "risk_rank", "id", "status"),
    "ix_case_by_status": ("deleted", "district", "status", "risk_rank", "id"),
    "ix_case_by_risk": ("deleted", "district", "risk_rank", "due_key", "id", "status"),
    "ix_case_by_location": ("deleted", "district", "location", "id", "status"),
    "ix_case_by_due": ("deleted", "district", "due_key", "risk_rank", "id", "status"),
    "ix_case_by_owner": ("deleted", "district", "owner_id", "risk_rank", "id", "status"),
    "ix_case_by_owner_all": ("deleted", "owner_id", "risk_rank", "id", "status"),
}


QUEUE_BEFORE = ("district", "status", "risk", "next_review")
# The dashboard's grouped figures, read from the index alone (no row per open case).
QUEUE_AFTER = ("deleted", *QUEUE_BEFORE, "owner_id", "opened_at")


def upgrade() -> None:
    # SQLite adds a virtual generated column with a plain ALTER TABLE (no table copy).
    for name, (type_, sql) in COMPUTED.items():
        op.add_column("case", sa.Column(name, type_, sa.Computed(sql, persisted=False)))
    for name, columns in INDEXES.items():
        op.create_index(name, "case", list(columns))
    op.drop_index("ix_case_queue", table_name="case")
    op.create_index("ix_case_queue", "case", list(QUEUE_AFTER))
    # The search index again, newest case first: its rowids now fall with recency, so a
    # search with many matches reads them newest first by streaming forwards.
    op.execute("DELETE FROM case_search")
    op.execute(REINDEX_NEWEST_FIRST)


REINDEX_NEWEST_FIRST = """
INSERT INTO case_search(case_id, ref, summary, location, people)
SELECT c.id, c.ref, c.summary, c.location || ' ' || c.postcode,
       coalesce((SELECT group_concat(p.name || ' ' || p.address, ' ')
                 FROM party p WHERE p.case_id = c.id AND NOT p.deleted), '')
FROM "case" c WHERE NOT c.deleted ORDER BY c.opened_at DESC
"""


def downgrade() -> None:
    op.drop_index("ix_case_queue", table_name="case")
    op.create_index("ix_case_queue", "case", list(QUEUE_BEFORE))
    for name in INDEXES:
        op.drop_index(name, table_name="case")
    for name in reversed(COMPUTED):
        op.drop_column("case", name)
