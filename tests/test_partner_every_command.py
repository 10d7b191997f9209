"""A partner's account asks, through every command of the CLI, for what is not shared with
its agency: each command either refuses in one plain line or answers without a word of
an unshared case, and nothing in the store changes.

The commands are read from the CLI itself, so a command added later fails this test
until it is given here: either the arguments that aim it at an unshared case, or the
reason it has nothing of a case to give.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
import typer.main

from asbtui.services.demo import DEMO_USERS

PINS = {name: pin for name, _, pin, _, _ in DEMO_USERS}
PARTNER = "tdc.partner"
AGENCY = "Thanet District Council"

# The case aimed at: a Thanet case (the council's own district) not shared with anyone.
TARGET = "THA-26-AMRWB"
# An unshared case of another district with an enforcement action and a task.
ELSEWHERE = "ASH-26-C1482"
# An unshared case on a problem-solving plan.
ON_A_PLAN = "THA-25-T25F9"
NO_SUCH = "THA-26-ZZZZZ"

# Every leaf command, with the arguments that aim it at an unshared case ({...} filled in
# by the fixture). Commands that read lists are run with no aim: their output is checked
# for every unshared case's words.
AIMED: dict[str, list[str]] = {
    "deadlines": ["--json"],
    "today": ["--json"],
    "triage": ["{ref}", "--factor", "threat"],
    "first-contact": ["{ref}", "--method", "phone"],
    "patterns": ["--json"],
    "audit verify": [],
    "audit head": [],
    "audit show": ["{ref}"],
    "audit recent": [],
    "pspo list": [],
    "pspo vary": ["{pspo}", "--on", "01/12/2027"],
    "action step": ["{action}", "served", "--at", "25/11/2026 09:00"],
    "case add": ["--district", "THA", "--category", "nuisance", "--summary",
                 "A partner's own case"],
    "case list": ["--json", "--status", "all"],
    "case show": ["{ref}", "--json"],
    "case export": ["{ref}", "--output", "{out}.json", "--format", "json", "--reason",
                    "Working this case"],
    "case share": ["{ref}", "--agency", AGENCY, "--reason", "Working this case"],
    "case withhold": ["{ref}", "{party}"],
    "case unshare": ["{ref}", "--agency", AGENCY],
    "case timeline": ["{ref}", "--json"],
    "case edit": ["{ref}", "--summary", "Changed by a partner", "--reason", "Tidying"],
    "case history": ["{ref}"],
    "case close": ["{ref}", "--reason", "Resolved", "--summary", "Done"],
    "case reopen": ["{ref}", "--reason", "Again"],
    "case matches": ["--location", "{location}", "--person", "{name}", "--json"],
    "case link": ["{ref}", "{other}"],
    "case unlink": ["{ref}", "{other}", "--reason", "Not linked"],
    "case merge": ["{ref}", "--into", "{other}", "--reason", "Same problem"],
    "victim list": ["{ref}"],
    "victim contact": ["{ref}", "--victim", "{party}", "--method", "phone", "--said",
                       "All quiet"],
    "victim frequency": ["{ref}", "--victim", "{party}", "--days", "7", "--agreed",
                         "Weekly"],
    "task add": ["{ref}", "--what", "Visit", "--due", "01/12/2027"],
    "task done": ["{task}", "--outcome", "Done"],
    "task list": ["{ref}"],
    "conference add": ["--title", "Partner's meeting", "--at", "01/12/2027 10:00",
                       "--case", "{ref}"],
    "conference list": [],
    "conference show": ["{conference}"],
    "conference minutes": ["{conference}", "--text", "Minutes"],
    "conference action": ["{conference}", "--case", "{ref}", "--what", "Visit", "--due",
                          "01/12/2027"],
    "conference agenda": ["{conference}", "--output", "{out}.md"],
    "letter make": ["{ref}", "--kind", "cpw", "--output", "{out}.md", "--format", "md"],
    "note add": ["{ref}", "--text", "A partner's note"],
    "note list": ["{ref}"],
    "problem list": [],
    "problem show": ["{problem}"],
    "incident edit": ["{incident}", "--description", "Changed", "--reason", "Tidying"],
    "incident remove": ["{incident}", "--reason", "Wrong case"],
    "person edit": ["{party}", "--name", "Someone Else", "--reason", "Tidying"],
    "person remove": ["{party}", "--reason", "Wrong case"],
    "person find": ["--name", "{name}", "--json"],
    "retention list": [],
    "retention keep": ["{ref}", "--until", "01/01/2030", "--reason", "Ongoing"],
    "retention erase": ["{ref}", "--reason", "Past its time"],
    "db backup": ["{out}.db"],
    "db check": [],
    "sync status": [],
    "sync refusals": [],
    "conflicts list": [],
    "conflicts show": ["1"],
    "conflicts resolve": ["1", "--keep", "server"],
    "user list": [],
    "user add": ["mole", "--role", "supervisor", "--district", "THA"],
    "user unlock": ["sup.thanet"],
    "user disable": ["sup.thanet"],
    "user enable": ["sup.thanet"],
    "user pin": ["sup.thanet"],
    "agency list": [],
    "agency add": ["Mole Housing", "--kind", "housing", "--isa", "ISA-1"],
    "letter template": ["cpw"],
    "letter template-set": ["cpw", "{out}.tpl"],
    "letter template-reset": ["cpw"],
    "db migrate": [],
    "db encrypt": [],
}

# Commands that hold no case (or make a store of their own) and are tested elsewhere.
NOT_ABOUT_A_CASE = {
    "demo": "makes a new demo store",
    "import police-uk": "reads published police.uk files, no case",
    "server migrate": "the central store, reached with database credentials",
    "server demo": "the central store, reached with database credentials",
    "server enrol-device": "the central store, reached with database credentials",
    "server revoke-device": "the central store, reached with database credentials",
    "sync enrol": "enrols this device with a one-time code (test_sync)",
}

# What a partner may run and be answered: lists filtered to the agency's shares, and
# views of the store's own state. Everything else must be refused.
MAY_ANSWER = {"today", "case list", "case matches", "task list", "person find",
              "db check", "sync status", "agency list", "letter template"}

# Tables whose rows a refused or read-only command must not change (the audit log and
# sign-in counts change on every command by design).
UNCHANGED = ("case", "incident", "party", "caseshare", "casetask", "partnernote",
             "conference", "conferencecase", "enforcementaction", "actionstep",
             "deadline", "correction", "caselink", "victimcontact", "victimupdateplan",
             "firstcontact", "pspo", "pspoextension", "problem", "problemcase",
             "lettertemplate", "agency", "officer", "sync_outbox")


def _commands() -> list[str]:
    from asbtui.cli import _typer_app

    found: list[str] = []

    def walk(command: object, path: list[str]) -> None:
        children = getattr(command, "commands", None)
        if children:
            for name, child in children.items():
                walk(child, [*path, name])
        elif path:
            found.append(" ".join(path))

    walk(typer.main.get_command(_typer_app()), [])
    return found


def test_every_command_is_aimed_or_said_to_hold_no_case() -> None:
    commands = set(_commands())
    assert commands - set(AIMED) - set(NOT_ABOUT_A_CASE) == set()
    assert (set(AIMED) | set(NOT_ABOUT_A_CASE)) - commands == set()


def _digest(path: Path) -> dict[str, str]:
    with closing(sqlite3.connect(path)) as raw:
        return {table: hashlib.sha256(repr(raw.execute(
            f'SELECT * FROM "{table}" ORDER BY rowid').fetchall()).encode()).hexdigest()
            for table in UNCHANGED}


def _unshared_words(raw: sqlite3.Connection) -> set[str]:
    """The summaries, locations and people of every case not shared with the agency
    (less any word that also belongs to a shared case, or to the agency's own view)."""
    shared_ids = {r[0] for r in raw.execute(
        "SELECT s.case_id FROM caseshare s JOIN agency a ON a.id = s.agency_id "
        "WHERE a.name = ? AND s.revoked_at IS NULL AND s.deleted = 0", (AGENCY,))}

    def words(where: str) -> set[str]:
        found: set[str] = set()
        for case_id, summary, location, ref in raw.execute(
                'SELECT id, summary, location, ref FROM "case"'):
            if (case_id in shared_ids) != (where == "shared"):
                continue
            found |= {summary, location, ref}
            found |= {v for row in raw.execute(
                "SELECT name, address, phone FROM party WHERE case_id = ?", (case_id,))
                for v in row}
            found |= {r[0] for r in raw.execute(
                "SELECT description FROM incident WHERE case_id = ?", (case_id,))}
        return {w for w in found if w and len(w) >= 6}

    directory = {v for row in raw.execute("SELECT * FROM agency") for v in row
                 if isinstance(v, str)}
    return words("unshared") - words("shared") - directory


def _runner(path: Path):
    from typer.testing import CliRunner

    from asbtui.cli import app

    runner = CliRunner()

    def run(*args: str, user: str):
        return runner.invoke(app, ["--db", str(path), *args],
                             env={"ASBTUI_USER": user, "ASBTUI_PIN": PINS[user],
                                  "ASBTUI_NEW_PIN": "135791", "ASBTUI_KEY": None})

    return run


@pytest.fixture(scope="module")
def prepared(demo_template, tmp_path_factory: pytest.TempPathFactory):
    """The demo store with police work added to an unshared case (a task, a conference),
    what to aim each command at, and the words of every unshared case: made once."""
    path = tmp_path_factory.mktemp("unshared") / "demo.db"
    shutil.copyfile(demo_template[0], path)
    run = _runner(path)
    made = run("task", "add", TARGET, "--what", "Visit the flats", "--due", "01/12/2027",
               "--agency", "Orbit Housing", user="pc.thanet")
    assert made.exit_code == 0, made.stderr
    made = run("conference", "add", "--title", "Thanet ASB panel", "--at",
               "01/12/2027 10:00", "--case", TARGET, user="sup.thanet")
    assert made.exit_code == 0, made.stderr
    conference = made.stdout.strip().split()[-1]
    with closing(sqlite3.connect(path)) as raw:
        def one(sql: str, *args: str) -> str:
            row = raw.execute(sql, args).fetchone()
            assert row is not None, sql
            return str(row[0])

        target_id = one('SELECT id FROM "case" WHERE ref = ?', TARGET)
        aims = {
            "ref": TARGET, "other": "THA-26-PT69M", "conference": conference[:8],
            "task": one("SELECT id FROM casetask WHERE case_id = ?", target_id)[:8],
            "incident": one("SELECT id FROM incident WHERE case_id = ?", target_id),
            "party": one("SELECT id FROM party WHERE case_id = ? AND role = 'victim'",
                         target_id),
            "name": one("SELECT name FROM party WHERE case_id = ?", target_id),
            "location": one('SELECT location FROM "case" WHERE id = ?', target_id),
            "action": one("SELECT e.id FROM enforcementaction e JOIN \"case\" c "
                          "ON c.id = e.case_id WHERE c.ref = ?", ELSEWHERE)[:8],
            "problem": one("SELECT p.problem_id FROM problemcase p JOIN \"case\" c "
                           "ON c.id = p.case_id WHERE c.ref = ?", ON_A_PLAN)[:8],
            "pspo": one("SELECT id FROM pspo")[:8],
        }
        secrets = _unshared_words(raw)
    assert TARGET in secrets and ELSEWHERE in secrets and len(secrets) > 1000
    return path, aims, secrets


@pytest.fixture
def world(prepared, tmp_path: Path):
    template, aims, secrets = prepared
    path = tmp_path / "demo.db"
    shutil.copyfile(template, path)
    (tmp_path / "made.tpl").write_text("A template from a partner: {case_ref}\n")
    return _runner(path), {**aims, "out": str(tmp_path / "made")}, secrets, path, tmp_path


def _said(result, made: list[Path]) -> str:
    return result.stdout + result.stderr + "".join(
        p.read_text(errors="replace") for p in made if p.suffix != ".db")


@pytest.mark.parametrize("command", sorted(AIMED))
def test_a_partner_gets_nothing_of_an_unshared_case(world, command: str) -> None:
    run, aims, secrets, path, folder = world
    before = _digest(path)
    args = [a.format(**aims) for a in AIMED[command]]
    result = run(*command.split(), *args, user=PARTNER)
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    made = [p for p in folder.iterdir() if p.name.startswith("made.") and p.suffix != ".tpl"]
    said = _said(result, made)
    # A refusal may echo the reference typed; nothing else of the case may show.
    leaked = sorted(w for w in secrets if w in said and not (
        w == aims["ref"] and w not in result.stdout and not made))
    assert leaked == [], (command, leaked[:5], said[:400])
    if command in MAY_ANSWER:
        assert result.exit_code in (0, 1), result.stderr
    else:
        assert result.exit_code == 1, (command, result.stdout[:300], result.stderr)
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("asbtui: "), result.stderr
        assert made == [] or all(p.suffix == ".db" and p.stat().st_size == 0 for p in made)
    assert _digest(path) == before, command


@pytest.mark.parametrize("command", sorted(c for c, a in AIMED.items() if "{ref}" in a))
def test_an_unshared_case_is_refused_as_if_there_were_none(world, command: str) -> None:
    """The refusal does not tell a partner that the case exists."""
    run, aims, _, _, _ = world
    said = {}
    for ref in (TARGET, NO_SUCH):
        args = [a.format(**{**aims, "ref": ref}) for a in AIMED[command]]
        result = run(*command.split(), *args, user=PARTNER)
        said[ref] = (result.exit_code, result.stderr.replace(ref, "REF"))
    assert said[TARGET] == said[NO_SUCH], said
