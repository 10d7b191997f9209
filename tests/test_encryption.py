"""Encryption at rest (issue 16): a lost laptop leaks nothing.

Stores made by ``asbtui`` are SQLCipher files keyed from a passphrase; backups are
encrypted the same way; every file is owner-only; a wrong key, a missing key or a key
given for a plain store is one plain line and exit 1.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from asbtui.cli import app
from asbtui.db import open_store
from asbtui.encryption import StoreKey, store_kind
from asbtui.models import Role
from asbtui.services import cases, users

KEY = "correct horse battery staple"
PIN = "482915"
SECRET = "Zanzibar-Quixote"  # a word to look for in the raw bytes


@pytest.fixture
def run(monkeypatch):
    for name in ("ASBTUI_USER", "ASBTUI_PIN", "ASBTUI_NEW_PIN", "ASBTUI_KEY"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def invoke(*args: object, key: str | None = KEY, user: str | None = None,
               pin: str = PIN, input: str | None = None, env: dict | None = None):
        extra = dict(env or {})
        if key is not None:
            extra["ASBTUI_KEY"] = key
        if user is not None:
            extra.update(ASBTUI_USER=user, ASBTUI_PIN=pin)
        result = runner.invoke(app, [str(a) for a in args], env=extra, input=input)
        assert "Traceback" not in result.stdout + result.stderr, result.stderr
        if result.exception is not None:
            assert isinstance(result.exception, SystemExit), repr(result.exception)
        return result

    return invoke


def one_line_error(result) -> str:
    assert result.exit_code == 1, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("asbtui: "), result.stderr
    return lines[0]


def _files(path: Path) -> list[Path]:
    return [p for p in path.parent.iterdir() if p.name.startswith(path.name)]


@pytest.fixture
def encrypted(tmp_path) -> Path:
    """An encrypted store with an admin and one case whose summary holds SECRET."""
    path = tmp_path / "enc.db"
    with open_store(path, create=True, key=StoreKey(KEY)) as store:
        users.add_user(store, "admin", Role.ADMIN, PIN)
        users.sign_in(store, "admin", PIN)
        users.add_user(store, "sup", Role.SUPERVISOR, PIN, districts=["THA"])
        users.sign_out(store)
        users.sign_in(store, "sup", PIN)
        cases.create_case(store, cases.NewCase(district="THA", category="nuisance",
                                               summary=f"Noise at {SECRET}'s house",
                                               location=f"1 {SECRET} Road"))
    return path


def test_an_encrypted_store_holds_no_plain_text_and_is_owner_only(tmp_path):
    path = tmp_path / "enc.db"
    with open_store(path, create=True, key=StoreKey(KEY)) as store:
        cases.create_case(store, cases.NewCase(district="THA", category="nuisance",
                                               summary=f"Noise at {SECRET}'s house"))
        files = _files(path)
        assert {p.name for p in files} >= {"enc.db", "enc.db-wal", "enc.db-shm"}
        for file in files:
            assert file.stat().st_mode & 0o777 == 0o600, file
            assert SECRET.encode() not in file.read_bytes(), file
    assert store_kind(path) == "encrypted"
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(path).execute("SELECT * FROM sqlite_master").fetchall()


def test_wrong_missing_and_unneeded_keys_are_one_line_each(run, encrypted, demo_path):
    db = ("--db", encrypted)
    ok = run(*db, "case", "list", "--json", user="sup")
    assert ok.exit_code == 0, ok.stderr
    assert SECRET in ok.stdout
    assert "key for the store" in one_line_error(
        run(*db, "case", "list", key="not the right key", user="sup")).lower()
    assert "is encrypted or damaged" in one_line_error(run(*db, "case", "list", key=None))
    assert "is not encrypted, but a key was given" in one_line_error(
        run("--db", demo_path, "case", "list", user="admin", pin="802468"))


def test_db_encrypt_converts_a_plain_store_keeping_every_row(run, store_path):
    db = ("--db", store_path)
    added = run(*db, "case", "add", "--district", "THA", "--category", "nuisance",
                "--summary", f"Noise at {SECRET}'s house", key=None)
    assert added.exit_code == 0, added.stderr
    ref = added.stdout.strip()
    assert SECRET.encode() in store_path.read_bytes()
    converted = run(*db, "db", "encrypt")
    assert converted.exit_code == 0, converted.stderr
    assert store_kind(store_path) == "encrypted"
    assert [p.name for p in _files(store_path)] == [store_path.name]  # no plain copy left
    assert not [p for p in store_path.parent.iterdir() if "plain" in p.name
                or "encrypting" in p.name]
    assert SECRET.encode() not in store_path.read_bytes()
    assert store_path.stat().st_mode & 0o777 == 0o600
    shown = run(*db, "case", "show", ref, "--json")
    assert json.loads(shown.stdout)["summary"] == f"Noise at {SECRET}'s house"
    recent = json.loads(run(*db, "audit", "recent", "--json").stdout)
    assert any(e["detail"] == "store encrypted (SQLCipher)" for e in recent)
    assert "already encrypted" in one_line_error(run(*db, "db", "encrypt"))


def test_a_short_new_key_is_refused_before_anything_changes(run, store_path):
    before = store_path.read_bytes()
    assert "at least 8 characters" in one_line_error(
        run("--db", store_path, "db", "encrypt", key="short"))
    assert store_path.read_bytes() == before


def test_backups_of_an_encrypted_store_are_encrypted_owner_only_and_audited(
        run, encrypted, tmp_path):
    target = tmp_path / "copy.db"
    made = run("--db", encrypted, "db", "backup", target, user="admin")
    assert made.exit_code == 0, made.stderr
    assert "encrypted with the store's key" in made.stdout
    assert store_kind(target) == "encrypted"
    assert target.stat().st_mode & 0o777 == 0o600
    assert SECRET.encode() not in target.read_bytes()
    shown = run("--db", target, "case", "list", "--json", user="sup")
    assert SECRET in shown.stdout
    recent = json.loads(run("--db", encrypted, "audit", "recent", "--json",
                            user="admin").stdout)
    backups = [e for e in recent if (e["detail"] or "").startswith("store backup saved to")]
    assert backups and str(target.resolve()) in backups[0]["detail"]
    assert backups[0]["actor"] == "admin"


def test_only_an_admin_backs_up_a_store_with_users(run, demo_path, tmp_path):
    for user, pin in (("tdc.partner", "141421"), ("sup.thanet", "314159"),
                      ("pc.thanet", "271828")):
        line = one_line_error(run("--db", demo_path, "db", "backup", tmp_path / f"{user}.db",
                                  key=None, user=user, pin=pin))
        assert "may not back up" in line
        assert not (tmp_path / f"{user}.db").exists()


def test_the_holder_of_a_store_without_users_backs_it_up(run, store_path, tmp_path):
    made = run("--db", store_path, "db", "backup", tmp_path / "copy.db", key=None)
    assert made.exit_code == 0, made.stderr
    assert "NOT encrypted" in made.stdout


# ---------------------------------------------------------------------------- first run


def test_first_run_makes_an_encrypted_store_with_its_admin_before_anything(
        run, tmp_path, monkeypatch):
    from asbtui.app import AsbApp
    from asbtui.cli import root

    opened = {}
    monkeypatch.setattr(root, "_interactive", lambda: True)
    monkeypatch.setattr(AsbApp, "run", lambda self: opened.update(
        actor=self.store.actor, path=self.store.path))
    path = tmp_path / "data" / "asbtui.db"
    result = run("--db", path, input="n\nboss\nAnn Boss\n", env={"ASBTUI_NEW_PIN": PIN})
    assert result.exit_code == 0, result.stderr
    assert store_kind(path) == "encrypted"
    assert opened["path"] == path and opened["actor"].username == "boss"
    assert opened["actor"].role is Role.ADMIN
    with open_store(path, key=StoreKey(KEY)) as store:
        users.sign_in(store, "boss", PIN)
        assert [u.username for u in users.users(store)] == ["boss"]


def test_first_run_offers_the_demo_in_its_own_file(run, tmp_path, monkeypatch):
    from asbtui.app import AsbApp
    from asbtui.cli import root

    opened = {}
    monkeypatch.setattr(root, "_interactive", lambda: True)
    monkeypatch.setattr(root, "_build_demo", lambda store, n, seed: _tiny_demo(store))
    monkeypatch.setattr(root, "_print_demo", lambda store, summary: None)
    monkeypatch.setattr(AsbApp, "run", lambda self: opened.update(path=self.store.path))
    path = tmp_path / "asbtui.db"
    result = run("--db", path, input="d\n", key=None)
    assert result.exit_code == 0, result.stderr
    assert not path.exists()
    assert opened["path"] == tmp_path / "asbtui-demo.db"


def _tiny_demo(store):
    cases.create_case(store, cases.NewCase(district="THA", category="nuisance",
                                           summary="A synthetic case"))


def test_without_a_terminal_first_run_says_how_to_start(run, tmp_path):
    line = one_line_error(run("--db", tmp_path / "none.db", key=None))
    assert "Run asbtui in a terminal" in line and "asbtui demo" in line
    assert not (tmp_path / "none.db").exists()


async def test_a_demo_store_says_demo_in_its_header(store_path):
    from asbtui.app import AsbApp
    from asbtui.services import store_admin

    with open_store(store_path) as store:
        assert not store_admin.is_demo(store)
        store_admin.mark_demo(store)
        app = AsbApp(store)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert "DEMO" in app.title
            assert str(app.screen.query_one("#queue-title").render()).startswith(" DEMO ")


def test_the_copy_before_a_migration_is_encrypted_owner_only_and_removed_after(
        tmp_path, monkeypatch):
    from alembic import command

    from asbtui import db, encryption

    path = tmp_path / "old.db"
    key = StoreKey(KEY)
    encryption.create_private(path)
    engine = db._migration_engine(path, key, encryption.new_salt())
    with engine.connect() as connection, connection.begin():
        command.upgrade(db._alembic_config(connection), "0006")
    engine.dispose()
    seen = []
    real_remove = db._remove

    def remove(copy):
        seen.append((encryption.store_kind(copy), copy.stat().st_mode & 0o777))
        real_remove(copy)

    monkeypatch.setattr(db, "_remove", remove)
    with open_store(path, key=StoreKey(KEY)) as store:
        assert store.migrated is not None and store.migrated[0] == "0006"
    assert seen == [("encrypted", 0o600)]
    assert [p.name for p in tmp_path.iterdir()] == ["old.db"]
