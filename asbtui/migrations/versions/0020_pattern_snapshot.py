"""Patterns of concern kept as a result, refreshed for the keys that changed.

``pattern_snapshot`` holds, per district, kind of pattern and key (address, street,
postcode, LSOA, person), the figures a pattern is made of before any threshold: reports
in the window, imported reports, the cases (up to 50 refs, sorted), the label, and for
hotspots the usual level. ``pattern_snapshot_district`` says for which ``now`` and
windows (months) each district's rows were computed (or that they are being computed);
``pattern_dirty`` lists the keys a write has touched since. Triggers mark the keys on
every write that can change them (incidents, people, a case's deletion or ref, imported
incidents), whoever writes: the app, the CLI, a sync, the ``sqlite3`` shell. They do
nothing in a district with no rows kept (a new store, a demo build, a first sync): its
next read computes it in full.

None of the three tables syncs (device-local, like ``sync_row``): they are not models.

``IF NOT EXISTS`` throughout: a store whose first sync was cut makes its dropped indexes
at their revision and may run this again.

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
KEPT = "IN (SELECT district FROM pattern_snapshot_district)"
PEOPLE = "('victim', 'perpetrator')"
# A key marked again counts up its generation: a refresh that read the mark before answers
# it only if it is still the one it read. (Each SELECT has its WHERE: SQLite's parser then
# reads ON CONFLICT as the upsert, not as a join's ON.)
MARKED = " ON CONFLICT DO UPDATE SET gen = gen + 1;"


def _kept(*rows: str) -> str:
    """The trigger's WHEN: the row's district (before or after) is kept, or being computed."""
    return (f"EXISTS (SELECT 1 FROM pattern_snapshot_district WHERE district IN "
            f"({', '.join(f'{row}.district' for row in rows)}))")


def _places(row: str) -> str:
    return (f"INSERT INTO pattern_dirty (district, kind, key) "
            f"SELECT {row}.district, 'address', {row}.address_key WHERE {row}.address_key != '' "
            f"UNION ALL SELECT {row}.district, 'street', {row}.street_key "
            f"WHERE {row}.street_key != '' "
            f"UNION ALL SELECT {row}.district, 'postcode', {row}.postcode_key "
            f"WHERE {row}.postcode_key != ''{MARKED}")


def _people_of_incident(row: str) -> str:
    return (f"INSERT INTO pattern_dirty (district, kind, key) "
            f"SELECT DISTINCT {row}.district, 'person', person_key FROM party "
            f"WHERE case_id = {row}.case_id AND role IN {PEOPLE} AND person_key != ''{MARKED}")


def _person(row: str) -> str:
    # In each district its case's incidents are in (one, unless moved behind the app's back).
    return (f"INSERT INTO pattern_dirty (district, kind, key) "
            f"SELECT DISTINCT district, 'person', {row}.person_key FROM incident "
            f"WHERE case_id = {row}.case_id AND {row}.person_key != '' "
            f"AND {row}.role IN {PEOPLE} AND district {KEPT}{MARKED}")


def _forget_places(row: str) -> str:
    # The kept rows of the old keys go at once, not at the next refresh (which makes them
    # again from what is left): an erased case's addresses must not live on in them.
    return " ".join(
        f"DELETE FROM pattern_snapshot WHERE district = {row}.district AND kind = '{kind}' "
        f"AND key = {row}.{column};"
        for kind, column in (("repeat_address", "address_key"), ("repeat_street", "street_key"),
                             ("hotspot_street", "street_key"),
                             ("repeat_postcode", "postcode_key")))


def _forget_person(row: str) -> str:
    # As above: an erased person's name and date of birth must not live on here.
    return (f"DELETE FROM pattern_snapshot WHERE district {KEPT} "
            f"AND kind IN ('repeat_victim', 'repeat_perpetrator') AND key = {row}.person_key;")


def _imported(row: str) -> str:
    return (f"INSERT INTO pattern_dirty (district, kind, key) "
            f"SELECT {row}.district, 'street', {row}.street_key WHERE {row}.street_key != '' "
            f"UNION ALL SELECT {row}.district, 'lsoa', {row}.lsoa_code "
            f"WHERE {row}.lsoa_code != ''{MARKED}")


INCIDENT_COLUMNS = ("occurred_at, deleted, district, case_id, case_ref, case_location, "
                    "address_key, street_key, postcode_key")

TRIGGERS = {
    "pattern_incident_insert": f"AFTER INSERT ON incident WHEN {_kept('NEW')} BEGIN "
    f"{_places('NEW')} {_people_of_incident('NEW')} END",
    "pattern_incident_update": f"AFTER UPDATE OF {INCIDENT_COLUMNS} ON incident "
    f"WHEN {_kept('OLD', 'NEW')} BEGIN {_places('OLD')} {_places('NEW')} "
    f"{_people_of_incident('OLD')} {_people_of_incident('NEW')} {_forget_places('OLD')} END",
    "pattern_incident_delete": f"AFTER DELETE ON incident WHEN {_kept('OLD')} BEGIN "
    f"{_places('OLD')} {_people_of_incident('OLD')} {_forget_places('OLD')} END",
    "pattern_party_insert": f"AFTER INSERT ON party WHEN {LIVE} BEGIN {_person('NEW')} END",
    "pattern_party_update": "AFTER UPDATE OF case_id, role, person_key, name, deleted ON party "
    f"WHEN {LIVE} BEGIN {_person('OLD')} {_person('NEW')} {_forget_person('OLD')} END",
    "pattern_party_delete": f"AFTER DELETE ON party WHEN {LIVE} BEGIN {_person('OLD')} "
    f"{_forget_person('OLD')} END",
    # A deleted case's incidents leave every pattern (they are told by the case's ref).
    "pattern_case_update": 'AFTER UPDATE OF deleted, ref ON "case" '
    f"WHEN (OLD.deleted IS NOT NEW.deleted OR OLD.ref IS NOT NEW.ref) AND {LIVE} BEGIN "
    "INSERT INTO pattern_dirty (district, kind, key) "
    "SELECT district, 'address', address_key FROM incident "
    f"WHERE case_id = NEW.id AND address_key != '' AND district {KEPT} "
    "UNION SELECT district, 'street', street_key FROM incident "
    f"WHERE case_id = NEW.id AND street_key != '' AND district {KEPT} "
    "UNION SELECT district, 'postcode', postcode_key FROM incident "
    f"WHERE case_id = NEW.id AND postcode_key != '' AND district {KEPT}{MARKED} "
    "INSERT INTO pattern_dirty (district, kind, key) "
    "SELECT DISTINCT i.district, 'person', p.person_key FROM incident i "
    f"JOIN party p ON p.case_id = i.case_id WHERE i.case_id = NEW.id AND p.role IN {PEOPLE} "
    f"AND p.person_key != '' AND i.district {KEPT}{MARKED} END",
    "pattern_imported_insert": f"AFTER INSERT ON importedincident WHEN {_kept('NEW')} BEGIN "
    f"{_imported('NEW')} END",
    "pattern_imported_update": "AFTER UPDATE OF month, district, street_key, lsoa_code, "
    f"deleted ON importedincident WHEN {_kept('OLD', 'NEW')} BEGIN {_imported('OLD')} "
    f"{_imported('NEW')} END",
    "pattern_imported_delete": f"AFTER DELETE ON importedincident WHEN {_kept('OLD')} BEGIN "
    f"{_imported('OLD')} END",
}

TABLES = [
    # WITHOUT ROWID: rows are read and replaced by their key.
    "CREATE TABLE IF NOT EXISTS pattern_snapshot (district TEXT NOT NULL, kind TEXT NOT NULL, "
    "key TEXT NOT NULL, label TEXT, reports INTEGER NOT NULL, "
    "imported INTEGER NOT NULL, spans INTEGER NOT NULL, refs TEXT NOT NULL, usual REAL, "
    "cases_first INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (district, kind, key)) WITHOUT ROWID",
    # Thresholds are applied when read: the rows that span enough cases, then reports.
    "CREATE INDEX IF NOT EXISTS ix_pattern_snapshot_read "
    "ON pattern_snapshot (district, spans, reports)",
    "CREATE TABLE IF NOT EXISTS pattern_snapshot_district (district TEXT PRIMARY KEY, "
    "windows TEXT NOT NULL, now TEXT NOT NULL)",
    # One B-tree: a mark is one insert, or an update of its generation in place.
    "CREATE TABLE IF NOT EXISTS pattern_dirty (district TEXT NOT NULL, kind TEXT NOT NULL, "
    "key TEXT NOT NULL, gen INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (district, kind, key)) "
    "WITHOUT ROWID",
]


def upgrade() -> None:
    for statement in TABLES:
        op.execute(statement)
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")
    op.create_index("ix_incident_occurred", "incident", ["occurred_at", "district"],
                    if_not_exists=True)


def downgrade() -> None:
    op.drop_index("ix_incident_occurred", "incident", if_exists=True)
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for table in ("pattern_dirty", "pattern_snapshot_district", "pattern_snapshot"):
        op.execute(f"DROP TABLE IF EXISTS {table}")
