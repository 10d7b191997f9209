"""The store's triggers dropped or rewritten behind the app's back, with plain ``sqlite3``.

The sync outbox, the audit log's guard and the kept patterns each rest on triggers: a
store whose triggers are not the migrations' may have missed changes. ``db check`` says
so, a sync refuses before sending anything, and patterns are computed in full (their
kept rows forgotten) rather than read from rows that missed changes.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import timedelta

import pytest
from conftest import AS_OF
from test_pattern_snapshot import copy_an_incident

from asbtui.db import TRIGGER_DIGESTS, open_store, trigger_digests
from asbtui.services import pattern_snapshot
from asbtui.services.patterns import PatternRules, patterns
from asbtui.sync import engine
from asbtui.sync.transport import SyncError


def test_the_digests_are_a_new_stores(store) -> None:
    with store.engine.connect() as connection:
        found = trigger_digests(connection)
    # A migration that changes triggers changes these: copy the new ones into
    # asbtui/db.py's TRIGGER_DIGESTS (and say why in the migration).
    assert found == TRIGGER_DIGESTS, found


def _raw(path, statement: str) -> None:
    with closing(sqlite3.connect(path)) as raw, raw:
        raw.execute(statement)


REWRITES = {
    "sync": "DROP TRIGGER sync_case_update",
    "audit": "DROP TRIGGER audit_event_no_delete",
    "pattern": "DROP TRIGGER pattern_incident_insert",
}


@pytest.mark.parametrize("group", sorted(REWRITES))
def test_db_check_names_triggers_dropped_behind_the_apps_back(demo_path, group: str) -> None:
    from typer.testing import CliRunner

    from asbtui.cli import app

    runner = CliRunner()
    sound = runner.invoke(app, ["--db", str(demo_path), "db", "check"])
    assert sound.exit_code == 0, sound.stderr
    _raw(demo_path, REWRITES[group])
    found = runner.invoke(app, ["--db", str(demo_path), "db", "check"])
    assert found.exit_code == 1
    lines = found.stderr.splitlines()
    assert len(lines) == 2 and "not those the app's migrations make" in lines[0]
    assert {"sync": "sync outbox", "audit": "audit log",
            "pattern": "kept patterns"}[group] in lines[0]


def test_a_trigger_rewritten_to_do_nothing_is_found_too(demo_path) -> None:
    with closing(sqlite3.connect(demo_path)) as raw:
        sql = raw.execute("SELECT sql FROM sqlite_master WHERE name = "
                          "'pattern_incident_insert'").fetchone()[0]
    _raw(demo_path, "DROP TRIGGER pattern_incident_insert")
    _raw(demo_path, sql.replace(" BEGIN ", " AND 0 BEGIN ", 1))
    with open_store(demo_path) as store, store.engine.connect() as connection:
        assert trigger_digests(connection)["pattern"] != TRIGGER_DIGESTS["pattern"]


def test_patterns_are_computed_in_full_when_their_triggers_were_dropped(demo_store) -> None:
    rules = PatternRules(repeat_min_reports=2)
    patterns(demo_store, rules=rules, now=AS_OF)  # kept from now on
    _raw(demo_store.path, "DROP TRIGGER pattern_incident_insert")
    # A report copied onto a busy street while the trigger was gone: never logged.
    with closing(sqlite3.connect(demo_store.path)) as raw, raw:
        for _ in range(3):
            copy_an_incident(raw, "NOT deleted AND street_key != '' ORDER BY occurred_at DESC")
    later = AS_OF + timedelta(seconds=5)
    full = patterns(demo_store, rules=rules, now=later, kept=False)
    assert patterns(demo_store, rules=rules, now=later) == full
    with demo_store.engine.connect() as connection:
        kept = connection.exec_driver_sql("SELECT count(*) FROM pattern_snapshot").scalar()
    assert kept == 0  # forgotten: were the trigger made again, they would be stale
    assert pattern_snapshot.kept_patterns(demo_store, None, rules, later, repeats=True,
                                          hotspots=True) is None


class _Refused:
    """A transport that fails the test if the sync reaches it."""

    def post(self, path, body):  # noqa: ANN001, ANN201
        raise AssertionError(f"sent {path}")

    def stream(self, path, body):  # noqa: ANN001, ANN201
        raise AssertionError(f"streamed {path}")

    def close(self) -> None:
        pass


def test_a_sync_refuses_before_sending_when_its_triggers_were_dropped(demo_store,
                                                                      monkeypatch) -> None:
    monkeypatch.setattr(engine, "credentials", lambda store: ("http://127.0.0.1:9", "key"))
    _raw(demo_store.path, "DROP TRIGGER sync_incident_insert")
    with pytest.raises(SyncError, match="sync triggers were dropped or rewritten"):
        engine.sync(demo_store, _Refused())
