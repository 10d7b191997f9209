"""Letters and notices from a case's action: statutory wording, local templates, audit."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from conftest import supervisor_everywhere

from asbtui.dates import to_london
from asbtui.errors import Forbidden, InvalidInput
from asbtui.models import PartyRole
from asbtui.services import audit, cases, enforcement, letters, users
from asbtui.services.letters import LetterKind


def a_case_with(store, power: str) -> tuple[str, date]:
    """A Thanet case with a CPW whose time to comply ran out, then a CPN issued 10 days ago
    about a named person (the letter's recipient)."""
    now = datetime.now(UTC)
    ref = cases.create_case(store, cases.NewCase(
        district="THA", category="nuisance", summary="Motorcycle on the footpaths"))
    party = cases.add_party(store, ref, cases.PersonInput(name="Jordan Price",
                                                          role=PartyRole.PERPETRATOR))
    conduct = "Riding a motorcycle on footpaths"
    for kind, at, ends in (("cpw", now - timedelta(days=30), now - timedelta(days=20)),
                           ("cpn", now - timedelta(days=10), None)):
        enforcement.start_action(store, ref, enforcement.NewAction(
            kind, subject_party_id=party, conduct=conduct), enforcement.StepInput(
            at, "constable", "PC 1", ends_at=ends, notes="Stop riding on the footpaths"))
    return ref, to_london(now - timedelta(days=10)).date()


def test_a_cpn_says_what_it_requires_the_consequence_and_the_appeal_window(demo_store) -> None:
    ref, issued = a_case_with(demo_store, "cpn")
    letter = letters.produce(demo_store, ref, "cpn")
    text = letter.markdown
    assert "To: **Jordan Price**" in text
    assert "section 43" in text and "You are required to: **Stop riding on the footpaths**" \
        in text
    assert "criminal offence (section 48)" in text and "Fixed Penalty Notice" in text
    appeal_by = (issued + timedelta(days=20)).strftime("%d/%m/%Y")
    assert f"within 21 days beginning with the day on which it was issued: by **{appeal_by}**" \
        in text
    pdf = letters.render(letter, "pdf")
    assert pdf.startswith(b"%PDF")
    [event] = [e for e in audit.case_audit(demo_store, ref) if e.record_type == "letter"]
    assert event.action == "export"


def test_a_case_without_the_power_says_so(demo_store, open_case) -> None:
    ref = open_case(demo_store)
    with pytest.raises(InvalidInput, match="has no community protection notice action"):
        letters.produce(demo_store, ref, "cpn")


def test_an_admins_local_template_must_keep_the_statutory_wording(demo_store) -> None:
    demo_store.actor = None
    users.sign_in(demo_store, "admin", "802468")
    with pytest.raises(InvalidInput, match="must keep"):
        letters.set_template(demo_store, "cpn", "# Notice\n\nTo {recipient}")
    with pytest.raises(InvalidInput, match="Unknown placeholders: colour"):
        letters.set_template(demo_store, "cpn", "{statutory} {colour}")
    letters.set_template(demo_store, "cpn", "# Thanet CPN\n\nTo {recipient}\n\n{statutory}\n")
    assert letters.template(demo_store, LetterKind.CPN) == (
        "# Thanet CPN\n\nTo {recipient}\n\n{statutory}", True)
    users.sign_out(demo_store)
    users.sign_in(demo_store, "pc.thanet", "271828")
    with pytest.raises(Forbidden):
        letters.set_template(demo_store, "cpn", "{statutory}")
    demo_store.actor = supervisor_everywhere(demo_store)
    ref, _ = a_case_with(demo_store, "cpn")
    text = letters.produce(demo_store, ref, "cpn").markdown
    assert text.startswith("# Thanet CPN") and "right of appeal (section 46)" in text
