"""Putting records right: ``case edit|history|close|reopen``, ``incident edit|remove``,
``person edit|remove``.

Ids of incidents and people are those ``case show --json`` prints (or their first 6 or
more characters). Every correction keeps the old value in the case's history.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from asbtui.cli.base import JsonFlag, app, choices, open_store_for, print_json, sub_app
from asbtui.cli.cases import case_app
from asbtui.dates import format_date, format_datetime, parse_date, parse_datetime
from asbtui.errors import InvalidInput
from asbtui.literal import one_line
from asbtui.models import (
    CaseStatus,
    Category,
    Channel,
    ClosureReason,
    IncidentType,
    PartyRole,
    RiskLevel,
    VictimSatisfaction,
)

incident_app = sub_app("Correct or remove an incident (ids as 'case show --json' prints them).")
person_app = sub_app("Correct or remove a person on a case (ids as 'case show --json' prints "
                     "them).")
app.add_typer(incident_app, name="incident")
app.add_typer(person_app, name="person")

RefArgument = Annotated[str, typer.Argument(help="The case reference, e.g. THA-26-7K3QX.")]
Reason = Annotated[str, typer.Option(help="Why: kept in the case's history and the audit log.")]


def _said(ref: str, changed: list[str]) -> None:
    print(f"Corrected {ref}: {', '.join(changed)}.")


@case_app.command("edit")
def case_edit(
    ctx: typer.Context,
    ref: RefArgument,
    summary: Annotated[str | None, typer.Option(help="What the problem is.")] = None,
    category: Annotated[str | None, typer.Option(help=f"One of: {choices(Category)}.")] = None,
    channel: Annotated[str | None, typer.Option(help=f"One of: {choices(Channel)}.")] = None,
    location: Annotated[str | None, typer.Option(help="Address or place.")] = None,
    postcode: Annotated[str | None, typer.Option(help="Postcode ('' clears it).")] = None,
    coordinates: Annotated[str | None, typer.Option(
        help="Where the problem is: latitude, longitude ('' clears it).")] = None,
    district: Annotated[str | None, typer.Option(
        help="District code or name: the case moves to that queue and keeps its ref.")] = None,
    hate: Annotated[bool | None, typer.Option(
        "--hate/--no-hate", help="Hate-motivated or not.", show_default=False)] = None,
    risk: Annotated[str | None, typer.Option(help=f"One of: {choices(RiskLevel)}.")] = None,
    owner: Annotated[str | None, typer.Option(
        help="Owner's collar number ('' or 'none': unallocated).")] = None,
    review: Annotated[str | None, typer.Option(help="Next review, DD/MM/YYYY.")] = None,
    reason: Reason = "",
) -> None:
    """Correct a case's details; each old value stays in the case's history."""
    from asbtui.services import cases, corrections

    fix = corrections.CaseCorrection(summary=summary, category=category, channel=channel,
                                     location=location, postcode=postcode, district=district,
                                     hate_motivated=hate, coordinates=coordinates)
    day = parse_date(review, field="review") if review is not None else None
    if all(v is None for v in (summary, category, channel, location, postcode, coordinates,
                               district, hate, risk, owner, review)):
        raise InvalidInput("Say what to correct, e.g. --category personal (see --help).")
    changed: list[str] = []
    with open_store_for(ctx) as store:
        wanted = cases.case_detail(store, ref).ref
        if any(v is not None for v in (summary, category, channel, location, postcode,
                                       coordinates, district, hate)):
            changed += corrections.correct_case(store, wanted, fix, reason)
        followed = ""
        if risk is not None:
            followed = cases.change_risk(store, wanted, risk).describe()
            changed.append("risk")
        if owner is not None:
            cases.assign_owner(store, wanted, None if owner.strip().lower() in ("", "none")
                               else owner)
            changed.append("owner")
        if day is not None:
            cases.set_next_review(store, wanted, day)
            changed.append("next review")
    _said(wanted, changed)
    if followed:
        print(f"Victim updates: {followed}.")


@case_app.command("history")
def case_history(
    ctx: typer.Context,
    ref: RefArgument,
    reason: Annotated[str | None, typer.Option(
        help="Why you need the old and new values of people's details (audited).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """What was corrected or removed on a case: from what, to what, by whom, when, why."""
    from asbtui.services import history

    with open_store_for(ctx) as store:
        entries = history.case_history(store, ref, reason)
    if as_json:
        print_json([{"at": e.at, "by": e.by, "record_type": e.record_type,
                     "record_id": e.record_id, "record": e.record, "field": e.field,
                     "old": None if e.hidden else e.old, "new": None if e.hidden else e.new,
                     "reason": e.reason, "removed": e.removal} for e in entries])
        return
    out = Console(highlight=False, soft_wrap=True).print
    if not entries:
        out("Nothing on this case has been corrected.")
    for e in entries:
        why = f" · why: {one_line(e.reason)}" if e.reason else ""
        style = "strike" if e.removal else ""
        out(Text(f"{format_datetime(e.at)}  {one_line(e.by)}  ")
            + Text(one_line(e.describe()), style=style) + Text(why))


@case_app.command("close")
def case_close(
    ctx: typer.Context,
    ref: RefArgument,
    reason: Annotated[str, typer.Option(help=f"One of: {choices(ClosureReason)}.")],
    summary: Annotated[str, typer.Option(help="The closing summary: what was done, how it "
                                               "ended.")],
    victim_asked: Annotated[bool | None, typer.Option(
        "--victim-asked/--victim-not-asked",
        help="Whether the victim was asked how satisfied they are.", show_default=False)] = None,
    satisfaction: Annotated[str | None, typer.Option(
        help=f"The victim's answer: {choices(VictimSatisfaction)}.")] = None,
) -> None:
    """Close a case (supervisors): reason, closing summary, the victim's satisfaction."""
    from asbtui.services import cases

    with open_store_for(ctx) as store:
        cases.close_case(store, ref, reason, summary, victim_asked, satisfaction)
    print(f"{ref.strip().upper()} is closed.")


@case_app.command("reopen")
def case_reopen(
    ctx: typer.Context,
    ref: RefArgument,
    reason: Reason,
    status: Annotated[str, typer.Option(
        help=f"The status it reopens to: {choices(CaseStatus)} (not closed).")] = "open",
) -> None:
    """Reopen a closed case (supervisors), for a reason kept in the history and audit."""
    from asbtui.services import cases

    with open_store_for(ctx) as store:
        now = cases.reopen_case(store, ref, reason, status=status)
    print(f"{ref.strip().upper()} is reopened ({now.label.lower()}).")


@incident_app.command("edit")
def incident_edit(
    ctx: typer.Context,
    incident_id: Annotated[str, typer.Argument(metavar="ID", help="The incident's id.")],
    when: Annotated[str | None, typer.Option(
        help="When it happened, DD/MM/YYYY HH:MM London time (needs --reason).")] = None,
    channel: Annotated[str | None, typer.Option(help=f"One of: {choices(Channel)}.")] = None,
    incident_type: Annotated[str | None, typer.Option(
        "--type", help=f"One of: {choices(IncidentType)}.")] = None,
    description: Annotated[str | None, typer.Option(help="What happened.")] = None,
    crime_ref: Annotated[str | None, typer.Option(help="Crime reference.")] = None,
    location: Annotated[str | None, typer.Option(help="Where, if not the case's place.")] = None,
    reason: Reason = "",
) -> None:
    """Correct an incident; each old value stays in the case's history."""
    from asbtui.services import corrections

    fix = corrections.IncidentCorrection(
        occurred_at=parse_datetime(when, field="when") if when is not None else None,
        channel=channel, incident_type=incident_type, description=description,
        crime_ref=crime_ref, location=location)
    if all(v is None for v in vars(fix).values()):
        raise InvalidInput("Say what to correct, e.g. --when '12/11/2026 21:30' (see --help).")
    with open_store_for(ctx) as store:
        changed = corrections.correct_incident(store, incident_id, fix, reason)
    _said(f"incident {incident_id.strip()}", changed)


@incident_app.command("remove")
def incident_remove(
    ctx: typer.Context,
    incident_id: Annotated[str, typer.Argument(metavar="ID", help="The incident's id.")],
    reason: Reason,
) -> None:
    """Remove a wrongly entered incident (kept, struck through, in the case's history)."""
    from asbtui.services import corrections

    with open_store_for(ctx) as store:
        ref = corrections.remove_incident(store, incident_id, reason)
    print(f"Incident {incident_id.strip()} removed from {ref}.")


@person_app.command("edit")
def person_edit(
    ctx: typer.Context,
    party_id: Annotated[str, typer.Argument(metavar="ID", help="The person's id.")],
    reason: Reason,
    name: Annotated[str | None, typer.Option(help="Full name.")] = None,
    role: Annotated[str | None, typer.Option(help=f"One of: {choices(PartyRole)}.")] = None,
    dob: Annotated[str | None, typer.Option(
        help="Date of birth, DD/MM/YYYY ('' clears it).")] = None,
    address: Annotated[str | None, typer.Option(help="Address.")] = None,
    phone: Annotated[str | None, typer.Option(help="Phone.")] = None,
    vulnerable: Annotated[bool | None, typer.Option(
        "--vulnerable/--not-vulnerable", help="Vulnerable or not.", show_default=False)] = None,
    notes: Annotated[str | None, typer.Option(help="Notes.")] = None,
) -> None:
    """Correct a person's details, for a reason; each old value stays in the history."""
    from asbtui.services import corrections

    clear = dob is not None and not dob.strip()
    fix = corrections.PersonCorrection(
        name=name, role=role, address=address, phone=phone, vulnerable=vulnerable, notes=notes,
        date_of_birth=parse_date(dob, field="dob") if dob and dob.strip() else None,
        clear_date_of_birth=clear)
    if not clear and all(v is None for k, v in vars(fix).items() if k != "clear_date_of_birth"):
        raise InvalidInput("Say what to correct, e.g. --not-vulnerable (see --help).")
    with open_store_for(ctx) as store:
        changed = corrections.correct_person(store, party_id, fix, reason)
    _said(f"person {party_id.strip()}", changed)


@person_app.command("remove")
def person_remove(
    ctx: typer.Context,
    party_id: Annotated[str, typer.Argument(metavar="ID", help="The person's id.")],
    reason: Reason,
) -> None:
    """Remove a person wrongly entered on a case (kept, struck through, in the history)."""
    from asbtui.services import corrections

    with open_store_for(ctx) as store:
        ref = corrections.remove_person(store, party_id, reason)
    print(f"Person {party_id.strip()} removed from {ref}.")


@case_app.command("matches")
def case_matches(
    ctx: typer.Context,
    location: Annotated[str, typer.Option(help="The address of the new report.")] = "",
    postcode: Annotated[str, typer.Option(help="Its postcode.")] = "",
    person: Annotated[str, typer.Option(help="A person's name.")] = "",
    dob: Annotated[str | None, typer.Option(help="Their date of birth, DD/MM/YYYY.")] = None,
    near: Annotated[str, typer.Option(
        help="The report's point, latitude, longitude: cases within 150 m match.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Open cases, and cases with a report in the last 12 months, that may be about the
    same problem: the same address or postcode (case and spacing do not matter), the
    same person, or a case within 150 m of the report's point."""
    from asbtui.services import geo, matches

    query = matches.MatchQuery(location=location, postcode=postcode, person_name=person,
                               date_of_birth=parse_date(dob, field="dob") if dob else None,
                               point=geo.parse_point(near, "near"))
    if query.empty:
        raise InvalidInput("Give a location, a postcode, a person's name or a point to match.")
    with open_store_for(ctx) as store:
        found = matches.intake_matches(store, query)
    if as_json:
        print_json([{"ref": m.ref, "district": m.district, "status": m.status,
                     "category": m.category, "location": m.location, "opened": m.opened_at,
                     "last_report": m.last_report_at, "reasons": m.reasons} for m in found])
        return
    out = Console(highlight=False, soft_wrap=True).print
    if not found:
        out("No open case or recent report matches.")
    for m in found:
        last = f"; last report {format_datetime(m.last_report_at)}" if m.last_report_at else ""
        out(Text(f"{m.ref}  {m.district.label} · {m.category.label} · {m.status.label} · "
                 f"{one_line(m.location, 50)}{last} ({', '.join(m.reasons)})"))


@person_app.command("find")
def person_find(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="Words the name begins with, any order.")] = "",
    dob: Annotated[str | None, typer.Option(help="Date of birth, DD/MM/YYYY.")] = None,
    address: Annotated[str, typer.Option(help="Words of the address.")] = "",
    phone: Annotated[str, typer.Option(help="Phone number (spaces and +44 do not matter).")]
    = "",
    reason: Annotated[str | None, typer.Option(
        help="Why you need their dates of birth, addresses and phones (audited).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Find a person across the force, closed cases too: each case they are on, their role."""
    from asbtui.services import people

    query = people.PersonQuery(name=name, address=address, phone=phone,
                               date_of_birth=parse_date(dob, field="dob") if dob else None)
    with open_store_for(ctx) as store:
        hits = people.find_people(store, query, reason)
    if as_json:
        print_json([{"id": h.party_id, "name": h.name, "role": h.role, "vulnerable": h.vulnerable,
                     "ref": h.ref, "district": h.district, "status": h.status,
                     "opened": h.opened_at,
                     "date_of_birth": h.date_of_birth if h.details_shown else None,
                     "address": h.address if h.details_shown else None,
                     "phone": h.phone if h.details_shown else None} for h in hits])
        return
    out = Console(highlight=False, soft_wrap=True).print
    if not hits:
        out("No one found.")
    for h in hits:
        flag = " (vulnerable)" if h.vulnerable else ""
        facts = ""
        if h.details_shown:
            born = f"born {format_date(h.date_of_birth)}" if h.date_of_birth else ""
            facts = "; ".join(one_line(x) for x in (born, h.address, h.phone) if x)
            facts = f" · {facts}" if facts else ""
        out(Text(f"{one_line(h.name)}{flag}: {h.role.label.lower()} on {h.ref} "
                 f"({h.district.label}, {h.status.label.lower()}){facts}"))
    if hits and not hits[0].details_shown:
        out("(dates of birth, addresses and phones: give --reason to see them; audited)")


@case_app.command("link")
def case_link(
    ctx: typer.Context,
    ref: RefArgument,
    other: Annotated[str, typer.Argument(help="The case to link it to.")],
    reason: Annotated[str, typer.Option(help="Why they are linked.")] = "",
) -> None:
    """Link two cases about related problems: each shows (and opens) the other."""
    from asbtui.services import links

    with open_store_for(ctx) as store:
        linked = links.link_cases(store, ref, other, reason)
    print(f"{ref.strip().upper()} linked to {linked}.")


@case_app.command("unlink")
def case_unlink(
    ctx: typer.Context,
    ref: RefArgument,
    other: Annotated[str, typer.Argument(help="The linked case.")],
    reason: Reason,
) -> None:
    """Remove a link made in error (both histories keep it)."""
    from asbtui.services import links

    with open_store_for(ctx) as store:
        unlinked = links.unlink_cases(store, ref, other, reason)
    print(f"{ref.strip().upper()} is no longer linked to {unlinked}.")


@case_app.command("merge")
def case_merge(
    ctx: typer.Context,
    duplicate: Annotated[str, typer.Argument(help="The duplicate case, which closes.")],
    into: Annotated[str, typer.Option("--into", help="The case that stays.")],
    reason: Reason,
) -> None:
    """Merge a duplicate into the case that stays (supervisors): its incidents, people,
    notes and actions move; its ref then opens the case that stays."""
    from asbtui.services import links

    with open_store_for(ctx) as store:
        merged = links.merge_cases(store, duplicate, into, reason)
    print(merged.describe() + ".")
