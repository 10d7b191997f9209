"""Patterns of concern kept as a result, refreshed for the keys that changed.

``pattern_snapshot`` holds, per district, kind of pattern and key (address, street,
postcode, LSOA, person), the figures a pattern is made of before any threshold: reports
in the window, imported reports, the cases (up to 50 refs, sorted), the label, and for
hotspots the usual level. ``pattern_snapshot_district`` says for which ``now`` and
windows (months) each district's rows were computed; ``pattern_dirty`` lists the keys a
write has touched since. Triggers mark the keys on every write that can change them
(incidents, people, a case's deletion or ref, imported incidents), whoever writes: the
app, the CLI, a sync, the ``sqlite3`` shell. They do nothing while no district has a
snapshot (a new store, a demo build, a first sync): the next read computes in full.

None of the three tables syncs (device-local, like ``sync_row``): they are not models.

``ix_incident_occurred`` finds the reports whose time crossed a window's edge as time
moves (12 months ago, 3 months ago, 15 months ago, now).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

LIVE = "EXISTS (SELECT 1 FROM pattern_snapshot_district)"
PEOPLE = "('victim', 'perpetrator')"


def _places(row: str) -> str:
    return (f"INSERT OR REPLACE INTO pattern_dirty (district, kind, key) "
            f"SELECT {row}.district, 'address', {row}.address_key WHERE {row}.address_key != '' "
            f"UNION ALL SELECT {row}.district, 'street', {row}.street_key "
            f"WHERE {row}.street_key != '' "
            f"UNION ALL SELECT {row}.district, 'postcode', {row}.postcode_key "
            f"WHERE {row}.postcode_key != '';")


def _people_of_incident(row: str) -> str:
    return (f"INSERT OR REPLACE INTO pattern_dirty (district, kind, key) "
            f"SELECT DISTINCT {row}.district, 'person', person_key FROM party "
            f"WHERE case_id = {row}.case_id AND role IN {PEOPLE} AND person_key != '';")


def _person(row: str) -> str:
    return (f"INSERT OR REPLACE INTO pattern_dirty (district, kind, key) "
            f"SELECT DISTINCT district, 'person', {row}.person_key FROM incident "
            f"WHERE case_id = {row}.case_id AND {row}.person_key != '' "
            f"AND {row}.role IN {PEOPLE};")


def _imported(row: str) -> str:
    return (f"INSERT OR REPLACE INTO pattern_dirty (district, kind, key) "
            f"SELECT {row}.district, 'street', {row}.street_key WHERE {row}.street_key != '' "
            f"UNION ALL SELECT {row}.district, 'lsoa', {row}.lsoa_code "
            f"WHERE {row}.lsoa_code != '';")


INCIDENT_COLUMNS = ("occurred_at, deleted, district, case_id, case_ref, case_location, "
                    "address_key, street_key, postcode_key")

TRIGGERS = {
    "pattern_incident_insert": f"AFTER INSERT ON incident WHEN {LIVE} BEGIN "
    f"{_places('NEW')} {_people_of_incident('NEW')} END",
    "pattern_incident_update": f"AFTER UPDATE OF {INCIDENT_COLUMNS} ON incident WHEN {LIVE} "
    f"BEGIN {_places('OLD')} {_places('NEW')} {_people_of_incident('OLD')} "
    f"{_people_of_incident('NEW')} END",
    "pattern_incident_delete": f"AFTER DELETE ON incident WHEN {LIVE} BEGIN "
    f"{_places('OLD')} {_people_of_incident('OLD')} END",
    "pattern_party_insert": f"AFTER INSERT ON party WHEN {LIVE} BEGIN {_person('NEW')} END",
    "pattern_party_update": "AFTER UPDATE OF case_id, role, person_key, name, deleted ON party "
    f"WHEN {LIVE} BEGIN {_person('OLD')} {_person('NEW')} END",
    "pattern_party_delete": f"AFTER DELETE ON party WHEN {LIVE} BEGIN {_person('OLD')} END",
    # A deleted case's incidents leave every pattern (they are told by the case's ref).
    "pattern_case_update": 'AFTER UPDATE OF deleted, ref ON "case" '
    f"WHEN (OLD.deleted IS NOT NEW.deleted OR OLD.ref IS NOT NEW.ref) AND {LIVE} BEGIN "
    "INSERT OR REPLACE INTO pattern_dirty (district, kind, key) "
    "SELECT district, 'address', address_key FROM incident "
    "WHERE case_id = NEW.id AND address_key != '' "
    "UNION SELECT district, 'street', street_key FROM incident "
    "WHERE case_id = NEW.id AND street_key != '' "
    "UNION SELECT district, 'postcode', postcode_key FROM incident "
    "WHERE case_id = NEW.id AND postcode_key != ''; "
    "INSERT OR REPLACE INTO pattern_dirty (district, kind, key) "
    "SELECT DISTINCT i.district, 'person', p.person_key FROM incident i "
    f"JOIN party p ON p.case_id = i.case_id WHERE i.case_id = NEW.id AND p.role IN {PEOPLE} "
    "AND p.person_key != ''; END",
    "pattern_imported_insert": f"AFTER INSERT ON importedincident WHEN {LIVE} BEGIN "
    f"{_imported('NEW')} END",
    "pattern_imported_update": "AFTER UPDATE OF month, district, street_key, lsoa_code, "
    f"deleted ON importedincident WHEN {LIVE} BEGIN {_imported('OLD')} {_imported('NEW')} END",
    "pattern_imported_delete": f"AFTER DELETE ON importedincident WHEN {LIVE} BEGIN "
    f"{_imported('OLD')} END",
}

TABLES = [
    # WITHOUT ROWID: rows are read and replaced by their key.
    "CREATE TABLE pattern_snapshot (district TEXT NOT NULL, kind TEXT NOT NULL, "
    "key TEXT NOT NULL, label TEXT, reports INTEGER NOT NULL, "
    "imported INTEGER NOT NULL, spans INTEGER NOT NULL, refs TEXT NOT NULL, usual REAL, "
    "cases_first INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (district, kind, key)) WITHOUT ROWID",
    # Thresholds are applied when read: the rows that span enough cases, then reports.
    "CREATE INDEX ix_pattern_snapshot_read ON pattern_snapshot (district, spans, reports)",
    "CREATE TABLE pattern_snapshot_district (district TEXT PRIMARY KEY, windows TEXT NOT NULL, "
    "now TEXT NOT NULL)",
    # AUTOINCREMENT: a key marked again gets a later seq, never one a refresh has read.
    "CREATE TABLE pattern_dirty (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
    "district TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, "
    "UNIQUE (district, kind, key))",
]


def upgrade() -> None:
    for statement in TABLES:
        op.execute(statement)
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    op.create_index("ix_incident_occurred", "incident", ["occurred_at", "district"],
                    if_not_exists=True)


def downgrade() -> None:
    op.drop_index("ix_incident_occurred", "incident", if_exists=True)
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for table in ("pattern_dirty", "pattern_snapshot_district", "pattern_snapshot"):
        op.execute(f"DROP TABLE IF EXISTS {table}")
