"""The migrations build exactly the schema the models describe, and upgrade old stores."""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from asbtui import db
from asbtui.db import open_store
from asbtui.models import every_table
from asbtui.services import cases


def test_a_migrated_store_matches_the_models(tmp_path) -> None:
    with open_store(tmp_path / "m.db", create=True) as store, store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        differences = [d for d in compare_metadata(context, every_table())
                       # the FTS5 search table, Alembic's own table and the sync outbox's
                       # bookkeeping (plain SQL beside its triggers) are not models
                       if not (d[0] == "remove_table" and d[1].name.startswith(
                           ("case_search", "alembic_version", "sync_", "pattern_")))
                       and not (d[0] == "remove_index"
                                and d[1].table.name.startswith(("sync_", "pattern_")))]
    assert differences == []


def test_a_store_at_the_first_revision_is_backed_up_then_upgraded(tmp_path, monkeypatch) -> None:
    removed: list[str | None] = []
    real_remove = db._remove

    def remove(copy):
        # The copy made before migrating holds the old schema; it goes once the migrated
        # store checks out, so that an erased person does not live on in it.
        raw = sqlite3.connect(copy)
        removed.append(raw.execute("SELECT version_num FROM alembic_version").fetchone()[0])
        raw.close()
        real_remove(copy)

    monkeypatch.setattr(db, "_remove", remove)
    path = tmp_path / "old.db"
    engine = sa.create_engine(sa.URL.create("sqlite", database=str(path)))
    with engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", "asbtui:migrations")
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(sa.text(
            'INSERT INTO "case" (updated_at, origin, deleted, id, ref, district, category, '
            "channel, status, risk, hate_motivated, summary, location, postcode, opened_at) "
            "VALUES ('1', 'old', 0, 'c1', 'THA-25-AAAAA', 'THA', 'nuisance', '101', 'open', "
            "'high', 0, 'Noise', '14 Invicta Road, Margate', 'CT9 2QB', "
            "'2025-01-01 10:00:00.000000')"))
        connection.execute(sa.text(
            "INSERT INTO party (updated_at, origin, deleted, id, case_id, role, name, "
            "date_of_birth, address, phone, vulnerable, notes) VALUES ('1', 'old', 0, 'p1', "
            "'c1', 'victim', 'Ann Example', '1950-03-01', '', '', 1, '')"))
    engine.dispose()

    with open_store(path) as store:
        detail = cases.case_detail(store, "THA-25-AAAAA")
        assert detail.parties[0].name == "Ann Example"
        with store.engine.connect() as connection:
            row = connection.execute(sa.text(
                'SELECT street_key, postcode_key, vulnerable_victim FROM "case"')).one()
            person = connection.execute(sa.text("SELECT person_key FROM party")).scalar()
    assert tuple(row) == ("invicta road", "CT92QB", 1)  # keys and flags filled in
    assert person == "annexample|1950-03-01"
    assert removed == ["0001"]
    assert not list(tmp_path.glob("old.pre-migration-*"))


def test_incidents_of_an_older_store_get_their_cases_facts_from_the_migration(tmp_path) -> None:
    path = tmp_path / "old.db"
    engine = sa.create_engine(sa.URL.create("sqlite", database=str(path)))
    with engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", "asbtui:migrations")
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
        for case_id, ref, district, location, postcode, street, address, code in (
            ("c1", "THA-25-AAAAA", "THA", "14 Invicta Road, Margate", "CT9 2QB", "invicta road",
             "14 invicta road margate", "CT92QB"),
            ("c2", "DOV-25-BBBBB", "DOV", "", "", "", "", ""),
        ):
            connection.execute(sa.text(
                'INSERT INTO "case" (updated_at, origin, deleted, id, ref, district, category, '
                "channel, status, risk, hate_motivated, summary, location, postcode, opened_at, "
                "street_key, address_key, postcode_key, vulnerable_victim) VALUES ('1', 'old', "
                "0, :id, :ref, :district, 'nuisance', '101', 'open', 'high', 0, 'Noise', "
                ":location, :postcode, '2025-01-01 10:00:00.000000', :street, :address, :code, "
                "0)"), dict(id=case_id, ref=ref, district=district, location=location,
                            postcode=postcode, street=street, address=address, code=code))
        for incident_id, case_id in (("i1", "c1"), ("i2", "c1"), ("i3", "c2")):
            connection.execute(sa.text(
                "INSERT INTO incident (updated_at, origin, deleted, id, case_id, occurred_at, "
                "channel, incident_type, description, crime_ref, location) VALUES ('1', 'old', "
                "0, :id, :case_id, '2025-02-01 10:00:00.000000', '101', 'noise', 'Loud', '', "
                "'')"), dict(id=incident_id, case_id=case_id))
    engine.dispose()

    with open_store(path) as store, store.engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT id, district, case_ref, case_location, address_key, street_key, "
            "postcode_key FROM incident ORDER BY id")).all()
        notnull = {r.name: r.notnull for r in connection.execute(
            sa.text("SELECT name, \"notnull\" FROM pragma_table_info('incident')"))}
    assert [tuple(r) for r in rows] == [
        ("i1", "THA", "THA-25-AAAAA", "14 Invicta Road, Margate", "14 invicta road margate",
         "invicta road", "CT92QB"),
        ("i2", "THA", "THA-25-AAAAA", "14 Invicta Road, Margate", "14 invicta road margate",
         "invicta road", "CT92QB"),
        ("i3", "DOV", "DOV-25-BBBBB", "", "", "", ""),
    ]
    assert notnull["district"] == 1


def test_the_head_read_from_the_migration_files_is_alembics() -> None:
    # Opening a current store compares its revision with this, without importing Alembic.
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from asbtui import db

    config = Config()
    config.set_main_option("script_location", "asbtui:migrations")
    assert db.script_head() == ScriptDirectory.from_config(config).get_current_head()


def test_a_store_whose_first_sync_was_cut_before_its_indexes_opens_after_an_upgrade(
        tmp_path) -> None:
    """A first sync drops the indexes and notes them (cut there, the next open makes them);
    if the app is upgraded meanwhile, the migrations find the indexes they change."""
    path = tmp_path / "cut.db"
    with open_store(path, create=True) as store, store.engine.begin() as connection:
        assert db.defer_indexes(connection, ["incident", "case"]) > 0
    with sqlite3.connect(path) as raw:  # as the app before migration 0016 left it
        raw.execute("UPDATE alembic_version SET version_num = '0015'")
        raw.execute("DROP INDEX IF EXISTS ix_incident_case")  # dropped by the cut sync
    with open_store(path) as store, store.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() \
            == db.script_head()
        made = connection.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'ix_incident_case'").scalar()
        assert made is not None and "reported_at" in made
        assert connection.exec_driver_sql(
            "SELECT 1 FROM store_meta WHERE key = ?", (db.DEFERRED_INDEXES,)).first() is None
        assert connection.exec_driver_sql(
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'case' "
            "AND sql IS NOT NULL").scalar() > 5
