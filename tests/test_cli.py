"""The command line, run in-process with typer's CliRunner (stdout and stderr kept apart).

``AsbGroup.main`` ends every run with ``sys.exit``; the runner turns that into
``result.exit_code``. Every run is checked for tracebacks and unexpected exceptions.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import supervisor_everywhere
from typer.testing import CliRunner

from asbtui import db
from asbtui.cli import app
from asbtui.db import open_store
from asbtui.errors import StoreError
from asbtui.models import OPEN_STATUSES
from asbtui.services import queue

REF = re.compile(r"\b[A-Z]{3}-\d{2}-[0-9A-HJKMNP-TV-Z]{5}\b")
LIST_KEYS = {"ref", "district", "status", "category", "risk", "opened", "owner"}


@pytest.fixture
def run():
    runner = CliRunner()  # typer >= 0.16 / click >= 8.2: stderr is always kept apart

    def invoke(*args: object, sign_in: bool = True, as_admin: bool = False):
        env = sign_in_env(args) if sign_in else {}
        if as_admin:
            env = {"ASBTUI_USER": "admin", "ASBTUI_PIN": "802468"}
        result = runner.invoke(app, [str(a) for a in args], env=env)
        combined = result.stdout + result.stderr
        assert "Traceback" not in combined, combined
        if result.exception is not None:
            assert isinstance(result.exception, SystemExit), repr(result.exception)
        return result

    return invoke


def has_users(path: object) -> bool:
    try:
        raw = sqlite3.connect(f"{Path(str(path)).resolve().as_uri()}?mode=ro", uri=True)
        try:
            return bool(raw.execute("SELECT count(*) FROM app_user").fetchone()[0])
        finally:
            raw.close()
    except sqlite3.Error:
        return False


def sign_in_env(args: tuple[object, ...]) -> dict[str, str]:
    """A demo store has users: runs on one sign in as its Thanet supervisor (roles are
    tested in test_cli_users.py)."""
    words = [str(a) for a in args]
    if "--db" in words and "demo" not in words:
        path = words[words.index("--db") + 1]
        if has_users(path):
            return {"ASBTUI_USER": "sup.thanet", "ASBTUI_PIN": "314159"}
    return {}


def assert_one_line_error(result, code: int = 1) -> str:
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("asbtui: ")
    assert result.stdout == ""
    return lines[0]


# ---------------------------------------------------------------------------- demo


def test_demo_builds_a_store_and_prints_the_invicta_road_reference(run, tmp_path):
    path = tmp_path / "demo.db"
    result = run("demo", "--db", path, "--cases", 50, "--seed", 3)
    assert result.exit_code == 0, result.stderr
    match = re.search(r"^Invicta Road, Margate closure case: (\S+)$", result.stdout, re.M)
    assert match, result.stdout
    ref = match.group(1)
    assert re.fullmatch(r"THA-\d{2}-[0-9A-HJKMNP-TV-Z]{5}", ref)
    assert "50 cases" in result.stdout
    assert "Traceback" not in result.stderr
    with open_store(path) as store:
        store.actor = supervisor_everywhere(store)
        assert queue.queue_count(store, queue.QueueQuery(statuses=())) == 50
    shown = run("--db", path, "case", "show", ref, "--json")
    assert json.loads(shown.stdout)["location"] == "14 Invicta Road, Margate"


def test_the_same_seed_gives_the_same_demo_store(run, tmp_path):
    outputs = []
    for name in ("one.db", "two.db"):
        result = run("demo", "--db", tmp_path / name, "--cases", 20, "--seed", 11)
        assert result.exit_code == 0
        outputs.append(result.stdout.replace(name, "X"))
    assert outputs[0] == outputs[1]
    refs = [
        json.loads(
            run(
                "--db", tmp_path / n, "case", "list", "--json", "--status", "all", "--limit", 100
            ).stdout
        )
        for n in ("one.db", "two.db")
    ]
    assert [r["ref"] for r in refs[0]] == [r["ref"] for r in refs[1]]


def test_demo_refuses_to_overwrite_an_existing_file(run, tmp_path):
    path = tmp_path / "precious.db"
    path.write_bytes(b"my only copy")
    result = run("demo", "--db", path, "--cases", 5)
    line = assert_one_line_error(result, 1)
    assert "already exists" in line
    assert path.read_bytes() == b"my only copy"


def test_demo_with_no_cases_is_a_usage_error(run, tmp_path):
    result = run("demo", "--db", tmp_path / "d.db", "--cases", 0)
    assert_one_line_error(result, 2)
    assert not (tmp_path / "d.db").exists()


# ---------------------------------------------------------------------------- case commands


def test_case_add_prints_the_new_reference(run, store_path):
    result = run(
        "--db",
        store_path,
        "case",
        "add",
        "--district",
        "THA",
        "--category",
        "nuisance",
        "--summary",
        "Loud music at 14 Invicta Road",
        "--location",
        "14 Invicta Road",
        "--postcode",
        "ct9 2qb",
        "--risk",
        "high",
        "--channel",
        "online",
    )
    assert result.exit_code == 0, result.stderr
    ref = result.stdout.strip()
    assert re.fullmatch(r"THA-\d{2}-[0-9A-HJKMNP-TV-Z]{5}", ref)
    assert result.stderr == ""
    detail = json.loads(run("--db", store_path, "case", "show", ref, "--json").stdout)
    assert detail["summary"] == "Loud music at 14 Invicta Road"
    assert (detail["risk"], detail["channel"], detail["postcode"]) == ("high", "online", "CT9 2QB")


def test_case_add_with_a_bad_category_says_so_in_one_line(run, store_path):
    result = run(
        "--db",
        store_path,
        "case",
        "add",
        "--district",
        "THA",
        "--category",
        "loud",
        "--summary",
        "x",
    )
    line = assert_one_line_error(result, 1)
    assert "'loud' is not a category" in line


def test_case_add_without_a_summary_is_a_usage_error(run, store_path):
    result = run("--db", store_path, "case", "add", "--district", "THA", "--category", "nuisance")
    line = assert_one_line_error(result, 2)
    assert "--summary" in line


def test_case_add_with_an_owner_from_the_demo(run, demo_path, demo_summary):
    collar = demo_summary.device_officer
    result = run(
        "--db",
        demo_path,
        "case",
        "add",
        "--district",
        "THA",
        "--category",
        "personal",
        "--summary",
        "Harassment",
        "--owner",
        collar.lower(),
    )
    assert result.exit_code == 0, result.stderr
    shown = json.loads(
        run("--db", demo_path, "case", "show", result.stdout.strip(), "--json").stdout
    )
    assert shown["owner"] == collar


def test_case_list_json_has_the_stable_keys(run, demo_path):
    result = run("--db", demo_path, "case", "list", "--json", "--limit", 500)
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    with open_store(demo_path) as store:
        store.actor = supervisor_everywhere(store)
        assert len(rows) == queue.queue_count(store, queue.QueueQuery())
    assert rows and all(set(row) >= LIST_KEYS for row in rows)
    assert {row["status"] for row in rows} <= {s.value for s in OPEN_STATUSES}
    assert all(row["district"] == row["ref"][:3] for row in rows)
    assert all(REF.fullmatch(row["ref"]) for row in rows)
    assert all(row["risk"] in ("high", "medium", "standard") for row in rows)
    assert all(row["category"] in ("personal", "nuisance", "environmental") for row in rows)
    assert all(row["owner"] is None or isinstance(row["owner"], str) for row in rows)
    assert any(row["owner"] is None for row in rows)
    assert all(
        re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00", row["opened"])
        for row in rows
    )


def test_case_list_honours_limit_district_status_and_search(run, demo_path, demo_summary):
    five = json.loads(run("--db", demo_path, "case", "list", "--json", "--limit", 5).stdout)
    assert len(five) == 5
    medway = json.loads(
        run(
            "--db", demo_path, "case", "list", "--json", "--district", "Medway", "--limit", 500
        ).stdout
    )
    assert medway and {r["district"] for r in medway} == {"MED"}
    closed = json.loads(
        run(
            "--db", demo_path, "case", "list", "--json", "--status", "closed", "--limit", 500
        ).stdout
    )
    assert closed and {r["status"] for r in closed} == {"closed"}
    everything = json.loads(
        run("--db", demo_path, "case", "list", "--json", "--status", "all", "--limit", 1000).stdout
    )
    assert len(everything) == 300
    found = json.loads(
        run("--db", demo_path, "case", "list", "--json", "--search", "inv marg").stdout
    )
    assert [r["ref"] for r in found] == [demo_summary.invicta_ref]


def test_case_list_as_a_table_says_how_many_of_how_many(run, demo_path):
    result = run("--db", demo_path, "case", "list", "--limit", 3)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["Ref", "Opened", "Category"]
    assert len([line for line in lines if REF.match(line)]) == 3
    assert re.search(r"^3 of \d+ cases", lines[-1])


def test_case_show_json_has_everything_on_the_case(run, demo_path, demo_summary):
    result = run("--db", demo_path, "case", "show", demo_summary.invicta_ref.lower(), "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert {
        "ref",
        "district",
        "status",
        "category",
        "risk",
        "opened",
        "owner",
        "summary",
        "parties",
        "incidents",
        "notes",
        "actions",
        "next_review",
    } <= set(data)
    assert "opened_at" not in data and "owner_collar" not in data
    assert data["ref"] == demo_summary.invicta_ref
    assert (data["district"], data["status"], data["risk"]) == ("THA", "action_in_progress", "high")
    assert data["owner"] == demo_summary.device_officer
    assert len(data["parties"]) == 4 and len(data["incidents"]) == 10
    # The council's and the housing provider's notes, and the case conference's minutes.
    assert len(data["notes"]) == 3 and data["actions"]
    assert data["opened"].startswith("2026-06-28T10:00:00")


def test_case_show_as_text_shows_the_case(run, demo_path, demo_summary):
    result = run("--db", demo_path, "case", "show", demo_summary.invicta_ref)
    assert result.exit_code == 0
    assert result.stdout.startswith(f"{demo_summary.invicta_ref}  Thanet  Nuisance  risk High")
    assert "Location: 14 Invicta Road, Margate CT9 2QB" in result.stdout
    assert "Incidents (10)" in result.stdout
    assert "\nPeople\n" in result.stdout and "\nEnforcement actions\n" in result.stdout


def test_stored_markup_and_escapes_are_shown_literally(run, store_path):
    nasty = "\x1b[2J\x1b[31mRED[bold]not bold[/bold]\x07"
    result = run(
        "--db",
        store_path,
        "case",
        "add",
        "--district",
        "THA",
        "--category",
        "nuisance",
        "--summary",
        nasty,
        "--location",
        nasty,
    )
    ref = result.stdout.strip()
    for args in (("case", "show", ref), ("case", "list")):
        shown = run("--db", store_path, *args)
        assert shown.exit_code == 0
        assert "\x1b" not in shown.stdout and "\x07" not in shown.stdout
        assert "␛[2J␛[31mRED[bold]not bold[/bold]␇" in shown.stdout
    data = json.loads(run("--db", store_path, "case", "show", ref, "--json").stdout)
    assert data["summary"] == nasty


# ---------------------------------------------------------------------------- errors


def test_an_unknown_case_is_one_line_on_stderr(run, demo_path):
    result = run("--db", demo_path, "case", "show", "THA-26-ZZZZZ")
    assert assert_one_line_error(result, 1) == "asbtui: There is no case THA-26-ZZZZZ."


def test_a_missing_store_is_one_line_on_stderr(run, tmp_path):
    path = tmp_path / "nowhere.db"
    for args in (("case", "list"), ("case", "show", "THA-26-ZZZZZ"), ("db", "check")):
        line = assert_one_line_error(run("--db", path, *args), 1)
        assert "There is no store" in line and "asbtui demo --db" in line
    assert not path.exists()


def test_the_store_can_come_from_the_environment(demo_path, demo_summary, monkeypatch):
    monkeypatch.setenv("ASBTUI_DB", str(demo_path))
    monkeypatch.setenv("ASBTUI_USER", "pc.thanet")
    monkeypatch.setenv("ASBTUI_PIN", "271828")
    result = CliRunner().invoke(app, ["case", "show", demo_summary.invicta_ref, "--json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["ref"] == demo_summary.invicta_ref


@pytest.mark.parametrize(
    "content",
    [
        b"This is a shopping list, not a database.\n" * 20,
        bytes(range(256)) * 16,
        b"SQLite format 3\x00" + b"\xff" * 4080,
    ],
    ids=["text", "binary", "bad-header"],
)
def test_a_damaged_store_is_reported_not_crashed_on(run, tmp_path, content):
    path = tmp_path / "garbage.db"
    path.write_bytes(content)
    for args in (("case", "list"), ("db", "check")):
        line = assert_one_line_error(run("--db", path, *args), 1)
        assert "damaged" in line
    assert path.read_bytes() == content


def test_a_folder_given_as_the_store_is_refused_in_one_line(run, tmp_path):
    line = assert_one_line_error(run("--db", tmp_path, "case", "list"), 1)
    assert "is a folder, not a store file" in line


def test_an_unknown_option_is_a_usage_error(run, demo_path):
    result = run("--db", demo_path, "case", "list", "--bogus")
    line = assert_one_line_error(result, 2)
    assert "--bogus" in line


def test_a_missing_argument_is_a_usage_error(run, demo_path):
    line = assert_one_line_error(run("--db", demo_path, "case", "show"), 2)
    assert "ref" in line.lower()


def test_an_unknown_command_is_a_usage_error(run, demo_path):
    assert_one_line_error(run("--db", demo_path, "case", "frobnicate"), 2)


@pytest.mark.parametrize("status", ["pending", "open,pending", ""])
def test_a_bad_status_is_bad_input(run, demo_path, status):
    line = assert_one_line_error(run("--db", demo_path, "case", "list", "--status", status), 1)
    assert "is not a status" in line


def test_a_bad_district_is_bad_input(run, demo_path):
    line = assert_one_line_error(run("--db", demo_path, "case", "list", "--district", "XYZ"), 1)
    assert "'XYZ' is not a district" in line


def test_a_bad_setting_in_the_environment_is_one_line_naming_it(run, demo_path, monkeypatch):
    monkeypatch.setenv("ASBTUI_PAGE_SIZE", "lots")
    message = assert_one_line_error(run("case", "list", "--db", demo_path))
    assert "ASBTUI_PAGE_SIZE" in message and "valid integer" in message, message
    assert "unexpected" not in message and "lots" not in message


def test_a_bad_setting_in_the_config_file_names_the_setting_and_the_file(
        run, demo_path, tmp_path, monkeypatch):
    from asbtui.config import config_file

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # this test's own
    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("ASBTUI_REPEAT_MIN_REPORTS=1\n")
    message = assert_one_line_error(run("case", "list", "--db", demo_path))
    assert "ASBTUI_REPEAT_MIN_REPORTS" in message and str(path) in message, message


def test_version_is_printed(run):
    result = run("--version")
    assert result.exit_code == 0
    assert re.fullmatch(r"asbtui \d+\.\d+\.\d+\n", result.stdout)


# ---------------------------------------------------------------------------- db


def test_db_check_passes_a_sound_store(run, demo_path):
    result = run("--db", demo_path, "db", "check")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{demo_path}: sound (integrity, foreign keys and triggers checked).\n"
    assert result.stderr == ""


def test_db_check_reports_a_broken_link(run, demo_path):
    connection = sqlite3.connect(demo_path)
    connection.execute(
        "INSERT INTO party (updated_at, origin, deleted, id, case_id, role, name, address, "
        "phone, vulnerable, notes) VALUES ('', '', 0, 'p1', 'no-such-case', 'victim', 'X', '', "
        "'', 0, '')"
    )
    connection.commit()
    connection.close()
    result = run("--db", demo_path, "db", "check")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert all(line.startswith("asbtui: ") for line in lines)
    assert any("party row" in line and "missing case" in line for line in lines)
    assert "1 problem;" in lines[-1]


def test_db_migrate_on_a_current_store_makes_no_copy_and_is_for_admins(run, demo_path):
    assert "may not back up, migrate" in assert_one_line_error(
        run("--db", demo_path, "db", "migrate"))
    result = run("--db", demo_path, "db", "migrate", as_admin=True)
    assert result.exit_code == 0, result.stderr
    assert "schema is up to date" in result.stdout
    assert not list(demo_path.parent.glob("*pre-migration*"))
    recent = run("--db", demo_path, "audit", "recent", "--limit", 2, "--json", as_admin=True)
    assert "schema checked: already at" in json.loads(recent.stdout)[1]["detail"]  # [0]: sign-in


def test_db_backup_writes_a_usable_copy(run, demo_path, tmp_path, demo_summary):
    target = tmp_path / "backups" / "copy.db"
    target.parent.mkdir()
    result = run("--db", demo_path, "db", "backup", target, as_admin=True)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"Backed up {demo_path} to {target} (NOT encrypted).\n"
    assert target.stat().st_mode & 0o777 == 0o600
    shown = run("--db", target, "case", "show", demo_summary.invicta_ref, "--json")
    assert json.loads(shown.stdout)["ref"] == demo_summary.invicta_ref
    assert run("--db", target, "db", "check").exit_code == 0


def test_db_backup_refuses_an_existing_target(run, demo_path, tmp_path):
    target = tmp_path / "taken.db"
    target.write_bytes(b"an older backup")
    line = assert_one_line_error(run("--db", demo_path, "db", "backup", target, as_admin=True))
    assert "already exists" in line
    assert target.read_bytes() == b"an older backup"


def test_db_backup_into_a_missing_folder_names_the_backup_file(run, demo_path, tmp_path):
    target = tmp_path / "no-such-folder" / "copy.db"
    line = assert_one_line_error(run("--db", demo_path, "db", "backup", target, as_admin=True))
    assert str(target) in line


# ---------------------------------------------------------------------------- odd file names


@pytest.mark.parametrize(
    "name", ["my store.db", "store-2026.db", "store #2.db", "café.db", "what?.db", "100%41.db"]
)
def test_a_store_with_an_unusual_file_name_opens_that_file(run, demo_path, demo_summary, name):
    odd = demo_path.parent / name
    shutil.copyfile(demo_path, odd)
    result = run("--db", odd, "case", "show", demo_summary.invicta_ref, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["ref"] == demo_summary.invicta_ref
    assert (
        sorted(p.name for p in odd.parent.iterdir() if not p.name.startswith((name, "demo.db")))
        == []
    )


@pytest.mark.parametrize("name", ["plain.db", "a#b.db", "what?.db", "100%41.db", "café.db"])
def test_backup_copies_the_named_store_whatever_its_name(demo_path, demo_summary, name):
    odd = demo_path.parent / name
    shutil.copyfile(demo_path, odd)
    target = demo_path.parent / "backup-of-odd.db"
    try:
        db.backup(odd, target)
    except StoreError as error:
        pytest.fail(f"backup refused: {error}")
    connection = sqlite3.connect(target)
    try:
        refs = {row[0] for row in connection.execute('SELECT ref FROM "case"')}
    except sqlite3.Error as error:
        pytest.fail(f"backup is not a copy of the store: {error}")
    finally:
        connection.close()
    assert demo_summary.invicta_ref in refs and len(refs) == 300


def test_only_opening_the_app_skips_loading_the_other_commands() -> None:
    from asbtui.cli import opens_the_app

    assert opens_the_app([])
    assert opens_the_app(["--db", "x.db", "--user", "pc.thanet", "--officer", "PC 1"])
    assert opens_the_app(["--db=case", "--user", "demo"])  # values, not commands
    assert not opens_the_app(["--db", "x.db", "demo"])
    assert not opens_the_app(["case", "list"])
    assert not opens_the_app(["--help"])
    assert not opens_the_app(["--db", "x.db", "--version"])


def test_the_app_is_opened_without_typer_only_for_options_it_reads_as_typer_does() -> None:
    from asbtui.cli.launch import root_options

    assert root_options([]) == {}
    assert root_options(["--db", "x.db", "--user=pc.thanet", "--officer", "PC 1"]) == {
        "--db": "x.db", "--user": "pc.thanet", "--officer": "PC 1"}
    assert root_options(["--db", "a.db", "--db=b.db"]) == {"--db": "b.db"}  # the last
    # Typer reads (or refuses) these: a missing or empty value, an option for a value.
    for args in (["--db"], ["--db="], ["--db", ""], ["--user", "--db", "x.db"],
                 ["--db", "x.db", "demo"], ["--help"], ["--version"]):
        assert root_options(args) is None, args


def test_every_command_but_the_app_runs_with_the_cyclic_collector_on(monkeypatch) -> None:
    # ``main`` turns the collector off while modules are imported; a command left to run
    # without it (a demo of a million cases) would never free its reference cycles.
    import gc
    import sys

    from asbtui import cli

    seen: list[bool] = []
    monkeypatch.setattr(cli, "_typer_app",
                        lambda root_only=False: lambda: seen.append(gc.isenabled()))
    try:
        for argv in (["case", "list"], ["--db", "x.db", "demo"], ["--help"]):
            monkeypatch.setattr(sys, "argv", ["asbtui", *argv])
            cli.main()
    finally:
        gc.enable()
    assert seen == [True, True, True]


def test_the_app_starts_with_the_collector_on_and_the_imports_frozen(
        run, store_path, monkeypatch) -> None:
    import gc

    from asbtui.app import AsbApp

    seen = {}
    monkeypatch.setattr(AsbApp, "run", lambda self: seen.update(
        enabled=gc.isenabled(), frozen=gc.get_freeze_count()))
    gc.disable()  # as ``asbtui.cli.main`` leaves it when the arguments only open the app
    try:
        result = run("--db", store_path, sign_in=False)
    finally:
        gc.enable()
        gc.unfreeze()
    assert result.exit_code == 0, result.stderr
    assert seen["enabled"] and seen["frozen"] > 0
