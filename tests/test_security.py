"""The holes a probe of the store found (issue 16), each closed and kept closed.

Lock-out under parallel tries, probing user names, the audit chain's anchor, who may back
up the store, audit scope, input bounds and erasure of copies.
"""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import time
from contextlib import closing

import pytest
from argon2 import PasswordHasher

from asbtui.db import open_store
from asbtui.errors import AsbError, SignInFailed
from asbtui.models import District, Role
from asbtui.services import audit, users
from asbtui.services.demo import DEMO_USERS

PIN = "482915"
PINS = {name: pin for name, _, pin, _, _ in DEMO_USERS}


def _try_pin(path: str, pin: str, start: float) -> str:
    # A fresh process, as a second terminal would be: its own store connection. A hash
    # of a few milliseconds leaves the window a read-then-write count would lose tries in.
    users._hasher = PasswordHasher(time_cost=2, memory_cost=8192, parallelism=1)
    while time.time() < start:
        time.sleep(0.0005)
    with open_store(path) as store:
        try:
            users.sign_in(store, "pc.target", pin)
        except SignInFailed:
            return "refused"
        except AsbError as error:
            return type(error).__name__
    return "signed in"


def _failed_count(path: str) -> tuple[int, object]:
    with open_store(path) as store, store.engine.connect() as connection:
        return tuple(connection.exec_driver_sql(  # type: ignore[return-value]
            "SELECT failed_attempts, locked_until FROM app_user "
            "WHERE username = 'pc.target'").one())


def test_wrong_pins_from_several_processes_at_once_all_count(store):
    users.add_user(store, "admin", Role.ADMIN, PIN)
    users.sign_in(store, "admin", PIN)
    users.add_user(store, "pc.target", Role.OFFICER, PIN, districts=["THA"])
    path = str(store.path)
    store.close()
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        pool.starmap(_try_pin, [(path, PIN, 0.0)] * 4)  # warm the workers up
        start = time.time() + 0.5
        results = pool.starmap(_try_pin, [(path, "000000", start)] * 4)
        assert results == ["refused"] * 4
        # Four tries at the same moment are four tries: none lost to a race.
        assert _failed_count(path) == (4, None)
        start = time.time() + 0.5
        results = pool.starmap(_try_pin, [(path, "000000", start)] * 8)
    assert results == ["refused"] * 8
    assert _failed_count(path)[1] is not None
    with open_store(path) as again:
        with pytest.raises(SignInFailed) as refused:
            users.sign_in(again, "pc.target", PIN)
        assert refused.value.locked


def test_an_unknown_name_costs_the_same_argon2_verify_as_a_known_one(store, monkeypatch):
    users.add_user(store, "pc.known", Role.OFFICER, PIN, districts=["THA"])
    calls: list[str] = []
    real = users._hasher

    class Counting(PasswordHasher):
        def verify(self, hash, password):  # noqa: A002 - argon2's own name
            calls.append(hash)
            return real.verify(hash, password)

    counting = Counting(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(users, "_hasher", counting)
    for name in ("pc.known", "pc.unknown"):
        with pytest.raises(SignInFailed):
            users.sign_in(store, name, "000000")
    assert len(calls) == 2 and all(h.startswith("$argon2id$") for h in calls)


# ---------------------------------------------------------------------------- audit anchor


@pytest.fixture
def run(monkeypatch):
    from typer.testing import CliRunner

    from asbtui.cli import app

    for name in ("ASBTUI_USER", "ASBTUI_PIN", "ASBTUI_NEW_PIN", "ASBTUI_KEY"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def invoke(*args: object, user: str | None = None, pin: str | None = None,
               env: dict[str, str] | None = None, input: str | None = None):
        extra = dict(env or {})
        if user is not None:
            extra["ASBTUI_USER"] = user
            extra["ASBTUI_PIN"] = pin if pin is not None else PINS[user]
        result = runner.invoke(app, [str(a) for a in args], env=extra, input=input)
        assert "Traceback" not in result.stdout + result.stderr, result.stderr
        if result.exception is not None:
            assert isinstance(result.exception, SystemExit), repr(result.exception)
        return result

    return invoke


def error_line(result, code: int = 1) -> str:
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("asbtui: ")
    return lines[0]


def _raw(path) -> sqlite3.Connection:
    connection = sqlite3.connect(path)
    connection.row_factory = sqlite3.Row
    return connection


def _last_row(path) -> dict:
    with closing(_raw(path)) as connection:
        return dict(connection.execute(
            "SELECT * FROM audit_event ORDER BY seq DESC LIMIT 1").fetchone())


def _forge_after(path, last: dict, *, rewrite_head: bool = False) -> dict:
    """Append a well-formed row after ``last``, as someone with the sqlite3 shell would."""
    row = {name: last[name] for name in audit._CHAINED}
    row.update(seq=last["seq"] + 1, actor="admin", action="view", detail="nothing here",
               prev_hash=last["hash"])
    row["hash"] = audit._row_hash(row)
    with closing(_raw(path)) as connection:
        names = ", ".join(row)
        connection.execute(f"INSERT INTO audit_event ({names}) VALUES "
                           f"({', '.join('?' for _ in row)})", list(row.values()))
        if rewrite_head:
            connection.execute("UPDATE store_meta SET value = ? WHERE key = 'audit_head'",
                               (f"{row['seq']}:{row['hash']}",))
        connection.commit()
    return row


def test_a_row_forged_at_the_end_is_caught_though_a_sign_in_follows_it(run, demo_path):
    db = ("--db", demo_path)
    forged = _forge_after(demo_path, _last_row(demo_path))
    # Any command signs in first, appending an event: it must not vouch for the forgery.
    assert run(*db, "case", "list", "--limit", 1, user="pc.thanet").exit_code == 0
    line = error_line(run(*db, "audit", "verify", user="admin"))
    assert f"broken at row {forged['seq'] + 1}" in line and "does not follow" in line


def test_verify_prints_the_head_from_before_its_own_sign_in(run, demo_path):
    db = ("--db", demo_path)
    before = _last_row(demo_path)
    head = run(*db, "audit", "head", "--json", user="admin")
    assert json.loads(head.stdout) == {"seq": before["seq"], "hash": before["hash"],
                                       "anchor": f"{before['seq']}:{before['hash']}"}
    assert _last_row(demo_path)["action"] == "sign-in"  # audited all the same
    verified = run(*db, "audit", "verify", user="admin")
    assert verified.exit_code == 0, verified.stderr
    assert verified.stdout.rstrip().endswith(f"head row {before['seq'] + 1}, "
                                             f"hash {_last_row_before_sign_in(demo_path)}.")


def _last_row_before_sign_in(path) -> str:
    with closing(_raw(path)) as connection:
        return connection.execute(
            "SELECT hash FROM audit_event ORDER BY seq DESC LIMIT 1 OFFSET 1").fetchone()[0]


def test_dropped_append_only_triggers_fail_verify(run, demo_path):
    with closing(_raw(demo_path)) as connection:
        connection.execute("DROP TRIGGER audit_event_no_delete")
        connection.commit()
    line = error_line(run("--db", demo_path, "audit", "verify", user="admin"))
    assert "no longer protected" in line and "audit_event_no_delete" in line


def test_a_log_cut_short_with_its_head_rewritten_is_caught_by_the_anchor(run, demo_path):
    db = ("--db", demo_path)
    anchor = json.loads(run(*db, "audit", "head", "--json", user="admin").stdout)["anchor"]
    seq = int(anchor.split(":")[0])
    with closing(_raw(demo_path)) as connection:
        connection.execute("DROP TRIGGER audit_event_no_delete")
        connection.execute("DELETE FROM audit_event WHERE seq >= ?", (seq - 2,))
        last = connection.execute(
            "SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1").fetchone()
        connection.execute("UPDATE store_meta SET value = ? WHERE key = 'audit_head'",
                           (f"{last[0]}:{last[1]}",))
        connection.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'audit_event'",
                           (last[0],))
        connection.execute(
            "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
            "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END")
        connection.commit()
    # Inside the file nothing is left to show it (README says so) ...
    assert run(*db, "audit", "verify", user="admin").exit_code == 0
    # ... but the head kept elsewhere is no longer in the chain.
    line = error_line(run(*db, "audit", "verify", "--expect", anchor, user="admin"))
    assert "anchor" in line


def test_a_row_rewritten_with_the_chain_after_it_is_caught_by_the_anchor(run, demo_path):
    db = ("--db", demo_path)
    anchor = json.loads(run(*db, "audit", "head", "--json", user="admin").stdout)["anchor"]
    seq = int(anchor.split(":")[0])
    with closing(_raw(demo_path)) as connection:
        connection.execute("DROP TRIGGER audit_event_no_update")
        rows = [dict(r) for r in connection.execute(
            "SELECT * FROM audit_event WHERE seq >= ? ORDER BY seq", (seq - 1,))]
        prev = rows[0]["prev_hash"]
        for row in rows:
            if row["seq"] == seq - 1:
                row["detail"] = "rewritten"
            row["prev_hash"] = prev
            row["hash"] = prev = audit._row_hash(row)
            connection.execute("UPDATE audit_event SET detail = ?, prev_hash = ?, hash = ? "
                               "WHERE seq = ?", (row["detail"], row["prev_hash"], row["hash"],
                                                 row["seq"]))
        connection.execute("UPDATE store_meta SET value = ? WHERE key = 'audit_head'",
                           (f"{rows[-1]['seq']}:{rows[-1]['hash']}",))
        connection.execute(
            "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
            "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END")
        connection.commit()
    assert run(*db, "audit", "verify", user="admin").exit_code == 0
    line = error_line(run(*db, "audit", "verify", "--expect", anchor, user="admin"))
    assert f"broken at row {seq}" in line and "anchor" in line
    assert "SEQ:HASH" in error_line(run(*db, "audit", "verify", "--expect", "12:abc",
                                        user="admin"))


# ---------------------------------------------------------------------------- audit scope


def test_a_supervisor_reads_only_their_districts_audit(run, demo_path):
    db = ("--db", demo_path)
    assert run(*db, "case", "list", "--limit", 1, user="pc.medway").exit_code == 0
    everything = json.loads(run(*db, "audit", "recent", "--limit", 100000, "--json",
                                user="admin").stdout)
    seen = json.loads(run(*db, "audit", "recent", "--limit", 100000, "--json",
                          user="sup.thanet").stdout)
    with closing(_raw(demo_path)) as connection:
        thanet = {r[0] for r in connection.execute(
            "SELECT ref FROM \"case\" WHERE district = 'THA'")}
        medway_refs = {r[0] for r in connection.execute(
            "SELECT ref FROM \"case\" WHERE district = 'MED'")}
    assert seen and len(seen) < len(everything)
    assert all(e["ref"] in thanet for e in seen if e["ref"])
    assert any(e["ref"] in medway_refs for e in everything)
    assert not any(e["actor"] in ("pc.medway", "admin") and not e["ref"] for e in seen)
    assert any(e["actor"] == "pc.thanet" for e in seen) or any(
        e["actor"] == "sup.thanet" for e in seen)


def test_the_audit_of_an_empty_reference_is_refused(run, demo_path):
    line = error_line(run("--db", demo_path, "audit", "show", "", user="admin"))
    assert "Give a case reference" in line
    line = error_line(run("--db", demo_path, "audit", "show", "  ", user="sup.thanet"))
    assert "Give a case reference" in line


# ---------------------------------------------------------------------------- input bounds


def test_a_huge_search_is_refused_at_once(run, demo_path):
    started = time.perf_counter()
    line = error_line(run("--db", demo_path, "case", "list", "--search", "noise " * 20_000,
                          user="sup.thanet"))
    assert "The search is too long: at most 200 characters" in line
    assert len(line) < 500  # the 120 KB argument is not echoed
    assert time.perf_counter() - started < 30  # (62 s before; the bound is what counts)
    line = error_line(run("--db", demo_path, "case", "list", "--search",
                          " ".join(f"w{i}" for i in range(13)), user="sup.thanet"))
    assert "too many words" in line


def test_summaries_and_notes_have_bounds_with_a_clear_message(run, demo_path):
    line = error_line(run("--db", demo_path, "case", "add", "--district", "THA",
                          "--category", "nuisance", "--summary", "x" * 2001,
                          user="pc.thanet"))
    assert "Summary is too long: at most 2000 characters" in line


def test_invalid_utf8_in_an_argument_or_the_pin_is_a_plain_refusal(run, demo_path):
    bad = b"Inv\xffcta".decode("utf-8", "surrogateescape")
    line = error_line(run("--db", demo_path, "case", "list", "--search", bad,
                          user="sup.thanet"))
    assert line == "asbtui: An argument is not valid text (UTF-8): Inv\\xffcta"
    line = error_line(run("--db", demo_path, "case", "list", user="sup.thanet",
                          pin="31\udcff59"))
    assert line == "asbtui: ASBTUI_PIN is not valid text (UTF-8); set it again."


def test_error_messages_show_what_was_typed_escaped_and_short(run, demo_path):
    ref = "\x1b[2J\u202eTHA" + "A" * 100_000
    line = error_line(run("--db", demo_path, "case", "show", ref, user="sup.thanet"))
    assert "\x1b" not in line and "\u202e" not in line
    assert "␛[2J<U+202E>THA" in line and len(line) < 500


def test_bidi_overrides_and_zero_width_characters_are_shown_visibly():
    from asbtui.literal import visible

    assert visible("exe.\u202etxt") == "exe.<U+202E>txt"
    assert visible("Jo\u200bhn \u2066x\u2069") == "Jo<U+200B>hn <U+2066>x<U+2069>"


def test_a_bidi_override_in_a_summary_is_shown_visibly_in_the_cli(run, demo_path):
    added = run("--db", demo_path, "case", "add", "--district", "THA", "--category",
                "nuisance", "--summary", "Graffiti \u202eetisoppo", user="pc.thanet")
    assert added.exit_code == 0, added.stderr
    shown = run("--db", demo_path, "case", "show", added.stdout.strip(), user="pc.thanet")
    assert "Graffiti <U+202E>etisoppo" in shown.stdout and "\u202e" not in shown.stdout


# ---------------------------------------------------------------------------- disclosure


@pytest.fixture
def shared_with_people(run, demo_path):
    """A new Thanet case with a victim, a perpetrator, a reporter and a witness."""
    from asbtui.services import cases, partners
    from asbtui.services.access import Actor

    with open_store(demo_path) as store:
        store.actor = Actor("pc.thanet", Role.OFFICER, frozenset({District.THA}))
        ref = cases.create_case(store, cases.NewCase(
            district="THA", category="nuisance", summary="Drug dealing from a flat",
            people=[cases.PersonInput("Vera Victim", "victim", "1 Flat Road", "07700 900001"),
                    cases.PersonInput("Percy Perp", "perpetrator", "2 Flat Road"),
                    cases.PersonInput("Rita Reporter", "reporter", "3 Flat Road",
                                      "07700 900003"),
                    cases.PersonInput("Wanda Witness", "witness", "4 Flat Road",
                                      withheld=True)]))
        ids = {p.name: p.id for p in cases.case_detail(store, ref).parties}
        partners.share_case(store, ref, "Thanet District Council", "Working this case")
    return ref, ids


# A share made without a choice discloses the victims only.
WITHHELD_BY_DEFAULT = ("Percy Perp", "2 Flat Road", "Rita Reporter", "07700 900003",
                       "3 Flat Road", "Wanda Witness", "4 Flat Road")


def test_a_partner_sees_only_the_people_a_share_discloses(run, demo_path, shared_with_people,
                                                         tmp_path):
    ref, _ = shared_with_people
    db = ("--db", demo_path)
    outputs = [
        run(*db, "case", "show", ref, "--json", user="tdc.partner").stdout,
        run(*db, "case", "show", ref, "--reason", "Working this case", user="tdc.partner").stdout,
        run(*db, "case", "timeline", ref, "--json", user="tdc.partner").stdout,
    ]
    exported = tmp_path / "partner.json"
    made = run(*db, "case", "export", ref, "--format", "json", "-o", exported, "--reason",
               "Working this case", user="tdc.partner")
    assert made.exit_code == 0, made.stderr
    outputs.append(exported.read_text())
    assert "Vera Victim" in outputs[0]
    assert "07700 900001" in outputs[1]  # the victim's contact, for safeguarding
    for text in outputs:
        for value in WITHHELD_BY_DEFAULT:
            assert value not in text, value
    police = run(*db, "case", "show", ref, user="pc.thanet").stdout
    assert "Rita Reporter" in police and "Wanda Witness (withheld from partners)" in police


def test_the_officer_chooses_who_a_share_discloses(run, demo_path, shared_with_people):
    ref, ids = shared_with_people
    db = ("--db", demo_path)
    shared = run(*db, "case", "share", ref, "--agency", "Orbit", "--reason",
                 "Working this case", "--person", ids["Rita Reporter"][:8], user="pc.thanet")
    assert shared.exit_code == 0, shared.stderr
    seen = run(*db, "case", "show", ref, "--json", user="orbit.partner").stdout
    names = {p["name"] for p in json.loads(seen)["parties"]}
    assert names == {"Rita Reporter"}
    # Withheld later: gone from the partner at once.
    assert run(*db, "case", "withhold", ref, ids["Rita Reporter"],
               user="pc.thanet").exit_code == 0
    seen = run(*db, "case", "show", ref, "--json", user="orbit.partner").stdout
    assert json.loads(seen)["parties"] == []
    refused = error_line(run(*db, "case", "share", ref, "--agency", "Kent Fire", "--reason",
                             "Working this case", "--person", ids["Wanda Witness"],
                             user="pc.thanet"))
    assert "withheld from partners" in refused


def test_a_partner_cannot_find_a_case_by_the_name_of_someone_not_disclosed(
        run, demo_path, shared_with_people):
    ref, _ = shared_with_people
    db = ("--db", demo_path)

    def found(text: str, user: str) -> list[str]:
        listed = run(*db, "case", "list", "--search", text, "--json", user=user)
        return [c["ref"] for c in json.loads(listed.stdout)]

    assert ref in found("Rita Reporter", "pc.thanet")
    assert ref not in found("Rita Reporter", "tdc.partner")
    assert ref in found("drug dealing flat", "tdc.partner")


def test_an_export_for_a_partner_holds_only_what_that_partner_may_see(
        run, demo_path, shared_with_people, tmp_path):
    ref, _ = shared_with_people
    db = ("--db", demo_path)
    assert run(*db, "note", "add", ref, "--text", "Police only: informant Rita",
               user="pc.thanet").exit_code == 0
    target = tmp_path / "for-council.md"
    made = run(*db, "case", "export", ref, "-o", target, "--reason", "Working this case",
               "--for-agency", "Thanet District Council", user="pc.thanet")
    assert made.exit_code == 0, made.stderr
    text = target.read_text()
    assert "Vera Victim" in text and "07700 900001" in text
    for value in (*WITHHELD_BY_DEFAULT, "informant Rita"):
        assert value not in text, value
    line = error_line(run(*db, "case", "export", ref, "-o", tmp_path / "orbit.md", "--reason",
                          "Working this case", "--for-agency", "Orbit", user="pc.thanet"))
    assert "is not shared with Orbit Housing" in line
