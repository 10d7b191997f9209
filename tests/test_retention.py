"""The personal data lifecycle: the review list, keeping a case longer, erasing it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from conftest import AS_OF, TODAY
from typer.testing import CliRunner

from asbtui.cli import app
from asbtui.errors import Forbidden, InvalidInput, NotFound, NotSignedIn
from asbtui.models import (
    AuditEvent,
    Case,
    CaseShare,
    Incident,
    PartnerNote,
    Party,
    Role,
)
from asbtui.services import audit, cases, partners, queue, retention, users
from asbtui.services.access import Actor

LONG_AGO = AS_OF - timedelta(days=7 * 365)
CLOSED_LONG_AGO = AS_OF - timedelta(days=6 * 365 + 60)


def old_closed_case(store, open_case, *, district="THA", closed=CLOSED_LONG_AGO, **fields):
    ref = open_case(store, now=LONG_AGO, district=district, location="14 Invicta Road, Margate",
                    postcode="CT9 2QB",
                    people=[cases.PersonInput("Jane Victim", "victim", "12 Invicta Road",
                                              "07700 900123", date(1950, 1, 2), True,
                                              "Lives alone")], **fields)
    cases.add_incident(store, ref, cases.NewIncident(LONG_AGO + timedelta(days=3), "101", "noise",
                                                     "Music from no. 14 until 3am",
                                                     location="14 Invicta Road"),
                       now=LONG_AGO + timedelta(days=3))
    cases.change_status(store, ref, "closed", "resolved", now=closed)
    return ref


def test_only_cases_closed_longer_than_the_review_period_are_due(store, open_case):
    old = old_closed_case(store, open_case)
    recent = old_closed_case(store, open_case, closed=AS_OF - timedelta(days=5 * 365))
    still_open = open_case(store, now=LONG_AGO)
    due = retention.due_for_review(store, today=TODAY)
    assert [d.ref for d in due] == [old]
    row = due[0]
    assert (row.district.value, row.category.value, row.incidents) == ("THA", "nuisance", 1)
    assert row.closed_on == CLOSED_LONG_AGO.date()
    assert row.closure_reason.value == "resolved" and row.retain_until is None
    # No personal data in the review list.
    assert not any(isinstance(v, str) and "Invicta" in v for v in vars(row).values())
    # A shorter local period brings the more recent one in too; the open one never.
    shorter = {d.ref for d in retention.due_for_review(store, today=TODAY, review_months=48)}
    assert shorter == {old, recent} and still_open not in shorter


def test_keep_takes_a_case_off_the_list_until_the_date(store, open_case):
    ref = old_closed_case(store, open_case)
    until = TODAY + timedelta(days=365)
    assert retention.keep(store, ref, until, "Civil claim pending", today=TODAY) == until
    assert retention.due_for_review(store, today=TODAY) == []
    # Back on the list once the date has passed.
    later = retention.due_for_review(store, today=until + timedelta(days=1))
    assert [(d.ref, d.retain_until) for d in later] == [(ref, until)]
    change = audit.case_audit(store, ref)[0]
    assert change.action == "change" and "retain until" in change.detail
    assert change.justification == "Civil claim pending"


@pytest.mark.parametrize("days", [0, -1, 6 * 366 + 1])
def test_keep_needs_a_date_after_today_within_one_review_period(store, open_case, days):
    ref = old_closed_case(store, open_case)
    with pytest.raises(InvalidInput):
        retention.keep(store, ref, TODAY + timedelta(days=days), "reason", today=TODAY)


def test_keep_needs_a_reason_and_a_closed_case(store, open_case):
    ref = old_closed_case(store, open_case)
    with pytest.raises(InvalidInput, match="reason"):
        retention.keep(store, ref, TODAY + timedelta(days=30), "  ", today=TODAY)
    live = open_case(store)
    with pytest.raises(InvalidInput, match="not closed"):
        retention.keep(store, live, TODAY + timedelta(days=30), "reason", today=TODAY)


def test_erase_blanks_personal_data_in_one_audited_act(store, open_case):
    ref = old_closed_case(store, open_case)
    partners.add_agency(store, "Thanet District Council", "council", "KCC-ISA-2024-THA",
                        district="THA")
    partners.share_case(store, ref, "Thanet District Council", "Working this case")
    partners.add_note(store, ref, "Tenant at no. 14 warned", visibility="all_partners",
                      reason="Working this case")
    erased = retention.erase(store, ref, "Review: no reason to keep", today=TODAY, now=AS_OF)
    assert (erased.people, erased.incidents, erased.notes, erased.shares) == (1, 1, 1, 1)
    with store.engine.connect() as connection:
        case = connection.execute(sa.select(Case).where(Case.ref == ref)).one()
        assert case.deleted and (case.summary, case.location, case.postcode) == ("", "", "")
        assert (case.street_key, case.address_key, case.postcode_key) == ("", "", "")
        for party in connection.execute(sa.select(Party).where(Party.case_id == case.id)):
            assert party.deleted and party.date_of_birth is None
            assert (party.name, party.address, party.phone, party.notes, party.person_key) == (
                "", "", "", "", "")
        for incident in connection.execute(sa.select(Incident)
                                           .where(Incident.case_id == case.id)):
            assert incident.deleted and (incident.description, incident.location) == ("", "")
        for note in connection.execute(sa.select(PartnerNote)
                                       .where(PartnerNote.case_id == case.id)):
            assert note.deleted and note.text == ""
        share = connection.execute(sa.select(CaseShare)
                                   .where(CaseShare.case_id == case.id)).one()
        assert share.revoked_at is not None
        assert connection.exec_driver_sql(
            "SELECT count(*) FROM case_search WHERE case_search MATCH 'invicta'").scalar() == 0
        event = connection.execute(sa.select(AuditEvent).order_by(AuditEvent.seq.desc())
                                   .limit(1)).one()
    assert (event.action, event.case_ref, event.justification) == (
        "delete", ref, "Review: no reason to keep")
    assert "Jane" not in event.detail and "Invicta" not in event.detail
    with pytest.raises(NotFound):
        cases.case_detail(store, ref)
    assert queue.queue_count(store, queue.QueueQuery(statuses=(), search="invicta")) == 0
    assert retention.due_for_review(store, today=TODAY) == []
    assert audit.verify(store).intact


def test_only_a_due_case_can_be_erased(store, open_case):
    live = open_case(store)
    recent = old_closed_case(store, open_case, closed=AS_OF - timedelta(days=400))
    kept = old_closed_case(store, open_case)
    retention.keep(store, kept, TODAY + timedelta(days=90), "Complaint open", today=TODAY)
    for ref, words in ((live, "not closed"), (recent, "not due"), (kept, "kept until")):
        with pytest.raises(InvalidInput, match=words):
            retention.erase(store, ref, "reason", today=TODAY)
        with pytest.raises(InvalidInput, match=words):
            retention.erasure_preview(store, ref, today=TODAY)
    due = old_closed_case(store, open_case)
    with pytest.raises(InvalidInput, match="reason"):
        retention.erase(store, due, "", today=TODAY)
    assert retention.erasure_preview(store, due, today=TODAY).people == 1


def _with_users(store):
    users.add_user(store, "admin", Role.ADMIN, "802468")
    users.sign_in(store, "admin", "802468")
    users.add_user(store, "pc.thanet", Role.OFFICER, "271828", districts=["THA"])
    users.add_user(store, "sup.maid", Role.SUPERVISOR, "314159", districts=["MAI"])
    users.add_user(store, "sup.thanet", Role.SUPERVISOR, "314159", districts=["THA"])
    users.sign_out(store)


def test_an_officer_may_not_review_or_erase(store, open_case):
    ref = old_closed_case(store, open_case)
    _with_users(store)
    users.sign_in(store, "pc.thanet", "271828")
    for call in (lambda: retention.due_for_review(store, today=TODAY),
                 lambda: retention.keep(store, ref, TODAY + timedelta(days=9), "r", today=TODAY),
                 lambda: retention.erase(store, ref, "r", today=TODAY)):
        with pytest.raises(Forbidden, match="review and erase"):
            call()


def test_a_supervisor_reviews_only_their_districts_and_an_admin_all(store, open_case):
    thanet = old_closed_case(store, open_case)
    maidstone = old_closed_case(store, open_case, district="MAI")
    _with_users(store)
    users.sign_in(store, "sup.maid", "314159")
    assert [d.ref for d in retention.due_for_review(store, today=TODAY)] == [maidstone]
    with pytest.raises(Forbidden, match="Thanet"):
        retention.erase(store, thanet, "reason", today=TODAY)
    with pytest.raises(Forbidden, match="Thanet"):
        retention.keep(store, thanet, TODAY + timedelta(days=9), "reason", today=TODAY)
    users.sign_in(store, "admin", "802468")
    assert {d.ref for d in retention.due_for_review(store, today=TODAY)} == {thanet, maidstone}
    retention.erase(store, thanet, "Reviewed: erase", today=TODAY)
    assert [e.actor for e in audit.case_audit(store, thanet)][0] == "admin"
    users.sign_out(store)
    with pytest.raises(NotSignedIn):
        retention.due_for_review(store, today=TODAY)


def test_a_supervisor_with_a_district_actor_sees_only_it(store, open_case):
    old_closed_case(store, open_case)
    store.actor = Actor("sup.x", Role.SUPERVISOR, frozenset())
    assert retention.due_for_review(store, today=TODAY) == []


# ---------------------------------------------------------------------------- CLI


def test_retention_commands(store_path, open_case):
    from asbtui.db import open_store

    now = datetime.now(UTC)
    with open_store(store_path) as store:
        ref = open_case(store, now=now - timedelta(days=8 * 365),
                        people=[cases.PersonInput("Sam Perp", "perpetrator")])
        cases.change_status(store, ref, "closed", "resolved", now=now - timedelta(days=7 * 365))
        kept = open_case(store, now=now - timedelta(days=8 * 365))
        cases.change_status(store, kept, "closed", "duplicate", now=now - timedelta(days=7 * 365))
    runner = CliRunner()

    def run(*args):
        result = runner.invoke(app, ["--db", str(store_path), *args])
        assert "Traceback" not in result.stdout + result.stderr
        return result

    listed = run("retention", "list", "--json")
    assert listed.exit_code == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert {r["ref"] for r in rows} == {ref, kept}
    assert set(rows[0]) == {"ref", "district", "category", "closed", "closure_reason",
                            "retain_until", "incidents"}
    table = run("retention", "list")
    assert ref in table.stdout and "2 closed cases due for review" in table.stdout

    until = (now + timedelta(days=200)).strftime("%d/%m/%Y")
    result = run("retention", "keep", kept, "--until", until, "--reason", "Civil claim")
    assert result.exit_code == 0 and f"kept until {until}" in result.stdout
    bad = run("retention", "keep", ref, "--until", "01/01/2001", "--reason", "x")
    assert bad.exit_code == 1 and bad.stderr.startswith("asbtui: ")

    refused = run("retention", "erase", ref, "--reason", "Review")
    assert refused.exit_code == 1 and refused.stdout == ""
    assert "1 person (names" in refused.stderr and "--yes" in refused.stderr
    assert len(refused.stderr.splitlines()) == 1
    erased = run("retention", "erase", ref, "--reason", "Review", "--yes")
    assert erased.exit_code == 0, erased.stderr
    assert f"Erased the personal data of {ref}" in erased.stdout
    assert [r["ref"] for r in json.loads(run("retention", "list", "--json").stdout)] == []
    gone = run("case", "show", ref)
    assert gone.exit_code == 1 and "no case" in gone.stderr
    assert run("audit", "verify").exit_code == 0


def test_after_erasure_no_personal_text_is_left_in_any_table(store, open_case):
    """Every text column of every table is searched, so a column added later (such as the
    case's location copied onto its incidents) cannot keep what erasure should remove."""
    import sqlite3

    ref = old_closed_case(store, open_case, summary="Music from Jane Victim's neighbour")
    partners.add_note(store, ref, "Jane Victim rang again from 12 Invicta Road")
    retention.erase(store, ref, "Review: no reason to keep", today=TODAY, now=AS_OF)
    raw = sqlite3.connect(store.path)
    left = []
    tables = [t for (t,) in raw.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name NOT LIKE 'case_search_%'")]
    for table in tables:
        columns = [c[1] for c in raw.execute(f'PRAGMA table_info("{table}")')]
        for column in columns:
            for needle in ("invicta", "jane", "07700", "lives alone", "ct9"):
                hits = raw.execute(f'SELECT count(*) FROM "{table}" WHERE lower("{column}") '
                                   "LIKE ?", (f"%{needle}%",)).fetchone()[0]
                if hits:
                    left.append(f"{table}.{column}: {needle}")
    raw.close()
    assert left == []


def test_an_erasure_names_the_exports_and_backups_that_still_hold_the_case(
        store, open_case, tmp_path):
    from asbtui.services import exporter, store_admin

    ref = old_closed_case(store, open_case)
    other = old_closed_case(store, open_case)
    export = exporter.save_case(store, ref, "md", "Working this case", tmp_path / "case.md")
    exporter.save_case(store, other, "md", "Working this case", tmp_path / "other.md")
    backup = store_admin.backup_store(store, tmp_path / "backup.db")
    preview = retention.erasure_preview(store, ref, today=TODAY)
    assert preview.copies == (str(export.resolve()), str(backup.resolve()))
    erased = retention.erase(store, ref, "Review: no reason to keep", today=TODAY, now=AS_OF)
    assert erased.copies == preview.copies
    assert "destroy them too" in erased.copies_note()
    result = CliRunner().invoke(app, ["--db", str(store.path), "retention", "erase", other,
                                      "--reason", "Review: no reason to keep", "--yes"])
    assert result.exit_code == 0, result.stderr
    assert f"Still holds this case (destroy it too): {tmp_path / 'other.md'}" in result.stdout


def test_erased_personal_data_is_overwritten_in_the_file(store, open_case):
    ref = old_closed_case(store, open_case)
    with store.engine.connect() as connection:  # the case's text now in the file itself
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").close()
        # Freed space is zeroed, not left for a file carver.
        assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    assert b"07700 900123" in store.path.read_bytes()
    retention.erase(store, ref, "Review: no reason to keep", today=TODAY, now=AS_OF)
    path = store.path
    store.close()  # checkpoints the WAL into the file
    raw = path.read_bytes()
    for value in (b"07700 900123", b"Lives alone", b"Music from no. 14 until 3am"):
        assert value not in raw, value


@pytest.mark.parametrize(("reason", "found"), [
    ("Spoke to John Smith about it", "a name"),
    ("Mrs Okafor asked for it", "a name"),
    ("Called back on 07700 900123", "a phone number"),
    ("Asked by j.smith@example.org", "an email address"),
    ("Visit to CT9 2QB", "a postcode"),
])
def test_a_reason_that_holds_personal_data_is_refused(store, open_case, reason, found):
    ref = old_closed_case(store, open_case)
    with pytest.raises(InvalidInput, match=f"seems to hold {found}: say why, not who"):
        retention.keep(store, ref, TODAY + timedelta(days=30), reason, today=TODAY)
    for fine in ("Civil claim pending", "Thanet District Council asked under the ISA"):
        assert audit.justification(fine) == fine


def test_the_settings_default_review_period_is_the_services() -> None:
    # Defined twice so that the settings do not load this service with them.
    from asbtui.config import DEFAULT_REVIEW_MONTHS, Settings
    from asbtui.services import retention

    assert DEFAULT_REVIEW_MONTHS == retention.DEFAULT_REVIEW_MONTHS
    assert Settings().retention_review_months == retention.DEFAULT_REVIEW_MONTHS
