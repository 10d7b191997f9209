"""The demo builder at scale: time-ordered keys, copies past the templates, the store left
as any other (outbox triggers, secure delete), the same store for the same seed."""

from __future__ import annotations

import sqlite3
import uuid

import pytest
from conftest import AS_OF

from asbtui.db import open_store
from asbtui.errors import StoreError
from asbtui.services import demo_copies
from asbtui.services.demo import build_demo

COPIED = ("case", "incident", "party", "caseshare", "partnernote", "noteaudience",
          "firstcontact", "victimupdateplan", "victimcontact", "casetask")


@pytest.fixture
def small_templates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Copies past 40 drawn cases, so that a small demo takes the large demo's path."""
    monkeypatch.setattr(demo_copies, "TEMPLATES", 40)


def _facts(path) -> dict[str, list[tuple]]:
    """Each copied table's rows in key order, without keys and stamps (refs instead)."""
    connection = sqlite3.connect(path)
    refs = dict(connection.execute('SELECT id, ref FROM "case"'))
    found = {}
    for table in COPIED:
        every = [r[1] for r in connection.execute(f'PRAGMA table_xinfo("{table}")')]
        names = [n for n in every
                 if n not in ("id", "updated_at", "origin") and not n.endswith("_id")]
        keyed = ", case_id" if "case_id" in every else ""
        rows = connection.execute(
            f'SELECT {", ".join(chr(34) + n + chr(34) for n in names)}{keyed} FROM "{table}" '
            "ORDER BY id").fetchall()
        found[table] = [r[:-1] + (refs[r[-1]],) if keyed else r for r in rows]
    connection.close()
    return found


def test_ordered_keys_grow_and_differ_in_their_short_form():
    ids = demo_copies.OrderedIds()
    made = [ids() for _ in range(5)]
    assert made == sorted(made)
    # The app shows and accepts the first eight digits of a key.
    assert len({key[:8] for key in made}) == 5
    for key in made:
        assert len(key) == 32 and uuid.UUID(key).version == 8
        assert uuid.UUID(key).variant == uuid.RFC_4122
    start = ids.reserve(1000)
    connection = sqlite3.connect(":memory:")
    assert connection.execute(f"SELECT {ids.sql(f'{start} + 7')}").fetchone()[0] \
        == ids.key(start + 7)
    assert ids() > ids.key(start + 1000) > made[-1]
    assert demo_copies.OrderedIds().tail != ids.tail  # each build its own


def test_a_copied_demo_appends_its_keys_and_keeps_the_store_as_migrated(
        tmp_path, small_templates):
    with open_store(tmp_path / "fresh.db", create=True) as fresh, \
            fresh.engine.connect() as connection:
        migrated = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name").all()
    with open_store(tmp_path / "demo.db", create=True) as store:
        summary = build_demo(store, cases=150, seed=3, as_of=AS_OF)
        with store.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
            triggers = connection.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name").all()
            # (Partner notes are copied in two statements, the corrections after the notes.)
            for table in ("case", "incident", "party", "caseshare", "noteaudience",
                          "firstcontact", "victimupdateplan", "victimcontact", "casetask"):
                keys = connection.exec_driver_sql(
                    f'SELECT id FROM "{table}" ORDER BY rowid').scalars().all()
                assert keys, table
                # Every row's key above the one written before it: appended, not scattered.
                assert keys == sorted(keys), table
                assert len({key[:8] for key in keys}) == len(keys)
            assert connection.exec_driver_sql('SELECT count(*) FROM "case"').scalar() == 150
            assert connection.exec_driver_sql("SELECT count(*) FROM sync_outbox").scalar() == 0
    assert summary.cases == 150
    assert triggers == migrated
    assert {"sync_case_insert", "sync_incident_insert", "sync_party_update"} <= {
        name for name, _sql in triggers}


def test_a_copied_demo_copies_the_officers_day_with_each_case(tmp_path, small_templates):
    with open_store(tmp_path / "demo.db", create=True) as store:
        build_demo(store, cases=400, seed=5, as_of=AS_OF)
    connection = sqlite3.connect(tmp_path / "demo.db")
    for table in ("victimupdateplan", "victimcontact"):
        # Each plan and contact is for a victim of its own case (the copy's, not the
        # template's), and every victim of an open case has a plan.
        rows = connection.execute(
            f"SELECT count(*), sum(p.case_id = t.case_id AND p.role = 'victim') FROM {table} t "
            "JOIN party p ON p.id = t.party_id").fetchone()
        assert rows[0] > 40 and rows[0] == rows[1], table
    unplanned = connection.execute(
        "SELECT count(*) FROM party p JOIN \"case\" c ON c.id = p.case_id "
        "WHERE p.role = 'victim' AND c.status != 'closed' AND NOT EXISTS "
        "(SELECT 1 FROM victimupdateplan v WHERE v.party_id = p.id)").fetchone()[0]
    assert unplanned == 0
    # The templates' triage and tasks (about one open case in eight) on their copies too:
    # the copies outnumber the 40 templates nine to one.
    for table in ("firstcontact", "casetask"):
        cases, first = connection.execute(
            f"SELECT count(DISTINCT t.case_id), sum(c.rowid <= 41) FROM {table} t "
            "JOIN \"case\" c ON c.id = t.case_id").fetchone()
        assert cases > 2 * first > 0, table
    # A copy's first contact moved with its case's opening.
    late = connection.execute(
        "SELECT count(*) FROM firstcontact f JOIN \"case\" c ON c.id = f.case_id "
        "WHERE f.due_at < f.reported_at OR (f.met_at IS NOT NULL AND f.met_at < f.reported_at)"
    ).fetchone()[0]
    assert late == 0
    connection.close()


def test_a_copied_demo_is_the_same_for_the_same_seed(tmp_path, small_templates):
    for name in ("one.db", "two.db"):
        with open_store(tmp_path / name, create=True) as store:
            build_demo(store, cases=120, seed=9, as_of=AS_OF)
    one, two = _facts(tmp_path / "one.db"), _facts(tmp_path / "two.db")
    assert len(one["case"]) == 120 and len(one["incident"]) > 120
    assert one == two


def test_a_store_enrolled_for_sync_gets_no_demo(store):
    with store.engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE sync_state SET value = '1' WHERE key = 'recording'")
    with pytest.raises(StoreError, match="enrolled for sync"):
        build_demo(store, cases=5, seed=1, as_of=AS_OF)
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql('SELECT count(*) FROM "case"').scalar() == 0
