"""Kept patterns moved by deltas: each incident change logged, not its keys recounted.

Migration 0020's incident triggers marked an incident's address, street and postcode and
its case's victims and perpetrators in ``pattern_dirty``; each mark made the next look
recount that key from every incident it has, which at 1,000,000 cases is ~100 cases'
incidents for a repeat perpetrator and ~1,100 reports for a big street. Here the incident
triggers log the incident as it was (-1) and as it is (+1) in ``pattern_change`` (one
append to a rowid table per image, in place of three to six upserts), and the refresh
adds those images to the kept figures: counts by window, the case refs checked against
the index for the cases touched, labels kept as the least location (``example``, the raw
location behind a street's label). People, cases and imported reports still mark keys
(recounted, as before).

An update forgets the kept rows of the incident's old keys at once (and marks them, to be
recounted) only when that key or the location in its label changed (an erasure blanks
both); a re-dated incident leaves them in place, so that its delta can be added. A
deletion forgets and marks all three, as 0020 did. A person changed or removed forgets
their rows in every district kept (as 0020) and now also marks them there: 0020 marked
them only in their case's districts, so a repeat victim of another district stayed out of
the kept rows until one of their reports changed.

The kept rows of 0020 have no ``example``: all are forgotten, and the next look computes
them in full.

None of these tables syncs (device-local, like ``sync_row``): they are not models.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

# As 0020 has them (migrations never import each other's lists).
INCIDENT_COLUMNS = ("occurred_at, deleted, district, case_id, case_ref, case_location, "
                    "address_key, street_key, postcode_key")
LOGGED = ("district, case_id, case_ref, case_location, occurred_at, deleted, address_key, "
          "street_key, postcode_key")
MARKED = " ON CONFLICT DO UPDATE SET gen = gen + 1;"
PEOPLE = "('victim', 'perpetrator')"


def _kept(*rows: str) -> str:
    return (f"EXISTS (SELECT 1 FROM pattern_snapshot_district WHERE district IN "
            f"({', '.join(f'{row}.district' for row in rows)}))")


def _log(row: str, sign: int) -> str:
    values = ", ".join(f"{row}.{column.strip()}" for column in LOGGED.split(","))
    return f"INSERT INTO pattern_change (sign, {LOGGED}) VALUES ({sign}, {values});"


PLACES = (
    # (kinds kept, key column, what else changes the kept rows' text: their label)
    (("repeat_address",), "address_key", "OR OLD.case_location IS NOT NEW.case_location"),
    (("repeat_street", "hotspot_street"), "street_key",
     "OR OLD.case_location IS NOT NEW.case_location"),
    (("repeat_postcode",), "postcode_key", ""),
)


def _forget_places(row: str, changed: bool) -> str:
    """The kept rows of the old keys go at once, not at the next refresh: an erased case's
    addresses must not live on in them. Each key forgotten is marked (recounted when next
    read). ``changed``: only the keys changed (or relabelled) by an update."""
    statements = []
    for kinds, column, relabelled in PLACES:
        when = (f"({row}.{column} IS NOT NEW.{column} {relabelled})" if changed else "1")
        listed = ", ".join(f"'{kind}'" for kind in kinds)
        scan = column.removesuffix("_key")
        statements.append(
            f"INSERT INTO pattern_dirty (district, kind, key) SELECT {row}.district, '{scan}', "
            f"{row}.{column} WHERE {row}.{column} != '' AND {when}{MARKED} "
            f"DELETE FROM pattern_snapshot WHERE {when} AND district = {row}.district "
            f"AND kind IN ({listed}) AND key = {row}.{column};")
    return " ".join(statements)


TRIGGERS = {
    "pattern_incident_insert": f"AFTER INSERT ON incident WHEN {_kept('NEW')} BEGIN "
    f"{_log('NEW', 1)} END",
    "pattern_incident_update": f"AFTER UPDATE OF {INCIDENT_COLUMNS} ON incident "
    f"WHEN {_kept('OLD', 'NEW')} BEGIN {_log('OLD', -1)} {_log('NEW', 1)} "
    f"{_forget_places('OLD', True)} END",
    "pattern_incident_delete": f"AFTER DELETE ON incident WHEN {_kept('OLD')} BEGIN "
    f"{_log('OLD', -1)} {_forget_places('OLD', False)} END",
}


LIVE = "EXISTS (SELECT 1 FROM pattern_snapshot_district)"
KEPT = "IN (SELECT district FROM pattern_snapshot_district)"
PERSON_KINDS = "('repeat_victim', 'repeat_perpetrator')"


def _person(row: str) -> str:
    # As 0020: in each district its case's incidents are in.
    return (f"INSERT INTO pattern_dirty (district, kind, key) "
            f"SELECT DISTINCT district, 'person', {row}.person_key FROM incident "
            f"WHERE case_id = {row}.case_id AND {row}.person_key != '' "
            f"AND {row}.role IN {PEOPLE} AND district {KEPT}{MARKED}")


def _forget_person(row: str, *, marked: bool = True) -> str:
    # An erased person's name and date of birth must not live on here. 0020 forgot their
    # rows in every district but marked them only in their case's: a repeat victim of
    # another district then stayed out of the kept rows. Each row forgotten is marked.
    mark = (f"INSERT INTO pattern_dirty (district, kind, key) SELECT district, 'person', key "
            f"FROM pattern_snapshot WHERE district {KEPT} AND kind IN {PERSON_KINDS} "
            f"AND key = {row}.person_key AND {row}.person_key != ''{MARKED} ") if marked else ""
    return (f"{mark}DELETE FROM pattern_snapshot WHERE district {KEPT} "
            f"AND kind IN {PERSON_KINDS} AND key = {row}.person_key;")


PARTY_TRIGGERS = {
    "pattern_party_update": "AFTER UPDATE OF case_id, role, person_key, name, deleted ON party "
    f"WHEN {LIVE} BEGIN {_person('OLD')} {_person('NEW')} {_forget_person('OLD')} END",
    "pattern_party_delete": f"AFTER DELETE ON party WHEN {LIVE} BEGIN {_person('OLD')} "
    f"{_forget_person('OLD')} END",
}
PARTY_TRIGGERS_0020 = {
    "pattern_party_update": "AFTER UPDATE OF case_id, role, person_key, name, deleted ON party "
    f"WHEN {LIVE} BEGIN {_person('OLD')} {_person('NEW')} "
    f"{_forget_person('OLD', marked=False)} END",
    "pattern_party_delete": f"AFTER DELETE ON party WHEN {LIVE} BEGIN {_person('OLD')} "
    f"{_forget_person('OLD', marked=False)} END",
}


def _places_marked(row: str) -> str:
    return (f"INSERT INTO pattern_dirty (district, kind, key) "
            f"SELECT {row}.district, 'address', {row}.address_key WHERE {row}.address_key != '' "
            f"UNION ALL SELECT {row}.district, 'street', {row}.street_key "
            f"WHERE {row}.street_key != '' "
            f"UNION ALL SELECT {row}.district, 'postcode', {row}.postcode_key "
            f"WHERE {row}.postcode_key != ''{MARKED}")


def _people_marked(row: str) -> str:
    return (f"INSERT INTO pattern_dirty (district, kind, key) "
            f"SELECT DISTINCT {row}.district, 'person', person_key FROM party "
            f"WHERE case_id = {row}.case_id AND role IN {PEOPLE} AND person_key != ''{MARKED}")


def _forget_places_0020(row: str) -> str:
    return " ".join(
        f"DELETE FROM pattern_snapshot WHERE district = {row}.district AND kind = '{kind}' "
        f"AND key = {row}.{column};"
        for kind, column in (("repeat_address", "address_key"), ("repeat_street", "street_key"),
                             ("hotspot_street", "street_key"),
                             ("repeat_postcode", "postcode_key")))


# 0020's incident triggers, for the downgrade.
TRIGGERS_0020 = {
    "pattern_incident_insert": f"AFTER INSERT ON incident WHEN {_kept('NEW')} BEGIN "
    f"{_places_marked('NEW')} {_people_marked('NEW')} END",
    "pattern_incident_update": f"AFTER UPDATE OF {INCIDENT_COLUMNS} ON incident "
    f"WHEN {_kept('OLD', 'NEW')} BEGIN {_places_marked('OLD')} {_places_marked('NEW')} "
    f"{_people_marked('OLD')} {_people_marked('NEW')} {_forget_places_0020('OLD')} END",
    "pattern_incident_delete": f"AFTER DELETE ON incident WHEN {_kept('OLD')} BEGIN "
    f"{_places_marked('OLD')} {_people_marked('OLD')} {_forget_places_0020('OLD')} END",
}


def _forget_all() -> None:
    for table in ("pattern_snapshot_district", "pattern_snapshot", "pattern_dirty"):
        op.execute(f"DELETE FROM {table}")


def upgrade() -> None:
    # An append-only log: one row per image of an incident changed in a kept district.
    op.execute("CREATE TABLE IF NOT EXISTS pattern_change (seq INTEGER PRIMARY KEY, "
               "sign INTEGER NOT NULL, district TEXT NOT NULL, case_id TEXT NOT NULL, "
               "case_ref TEXT NOT NULL, case_location TEXT NOT NULL, occurred_at TEXT NOT NULL, "
               "deleted INTEGER NOT NULL, address_key TEXT NOT NULL, street_key TEXT NOT NULL, "
               "postcode_key TEXT NOT NULL)")
    columns = {row[1] for row in op.get_bind().exec_driver_sql(
        "PRAGMA table_info(pattern_snapshot)")}
    if "example" not in columns:
        op.execute("ALTER TABLE pattern_snapshot ADD COLUMN example TEXT")
    _forget_all()
    for name, body in (TRIGGERS | PARTY_TRIGGERS).items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    _forget_all()
    for name, body in (TRIGGERS_0020 | PARTY_TRIGGERS_0020).items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(f"CREATE TRIGGER {name} {body}")
    op.execute("DROP TABLE IF EXISTS pattern_change")
    op.execute("ALTER TABLE pattern_snapshot DROP COLUMN example")
