"""``asbtui case``: open, list and show cases."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from asbtui.cli.base import (
    JsonFlag,
    app,
    choices,
    open_store_for,
    print_json,
    sub_app,
    table_console,
)
from asbtui.cli.enforcement import deadline_json
from asbtui.dates import format_date, format_datetime, format_time_left, utc_now
from asbtui.errors import InvalidInput
from asbtui.literal import one_line, visible
from asbtui.models import CaseStatus, Category, Channel, RiskLevel

case_app = sub_app("Open, list and show cases.")
app.add_typer(case_app, name="case")


@case_app.command("add")
def case_add(
    ctx: typer.Context,
    district: Annotated[str, typer.Option(help="District code or name, e.g. THA or Thanet.")],
    category: Annotated[str, typer.Option(help=f"One of: {choices(Category)}.")],
    summary: Annotated[str, typer.Option(help="What the problem is.")],
    location: Annotated[str, typer.Option(help="Address or place.")] = "",
    postcode: Annotated[str, typer.Option(help="Postcode, if known.")] = "",
    coordinates: Annotated[str, typer.Option(
        help="Where the problem is, if known: latitude, longitude, e.g. '51.3890, 1.3861'.")
    ] = "",
    channel: Annotated[str, typer.Option(help=f"One of: {choices(Channel)}.")] = "101",
    risk: Annotated[str, typer.Option(help=f"One of: {choices(RiskLevel)}.")] = "standard",
    owner: Annotated[str | None, typer.Option(help="Owner's collar number.")] = None,
) -> None:
    """Open a case and print its reference."""
    from asbtui.services import cases

    with open_store_for(ctx) as store:
        ref = cases.create_case(
            store,
            cases.NewCase(
                district=district,
                category=category,
                summary=summary,
                location=location,
                postcode=postcode,
                coordinates=coordinates,
                channel=channel,
                risk=risk,
                owner_collar=owner,
            ),
        )
    print(ref)


def _parse_status(value: str | None) -> tuple[CaseStatus, ...] | None:
    if value is None:
        return None
    if value.strip().lower() in ("all", "any"):
        return ()
    try:
        return tuple(CaseStatus(v.strip().lower()) for v in value.split(","))
    except ValueError:
        raise InvalidInput(
            f"'{value}' is not a status: use one of {choices(CaseStatus)}, or all."
        ) from None


@case_app.command("list")
def case_list(
    ctx: typer.Context,
    district: Annotated[str | None, typer.Option(help="District code or name.")] = None,
    status: Annotated[
        str | None,
        typer.Option(
            help=f"Comma-separated: {choices(CaseStatus)}, or all (default: every open status)."
        ),
    ] = None,
    search: Annotated[str, typer.Option(help="Words to find in refs, names, addresses.")] = "",
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="At most this many.")] = 50,
    as_json: JsonFlag = False,
) -> None:
    """List cases, most urgent first."""
    from asbtui.services import cases, queue

    statuses = _parse_status(status)
    where = cases.parse_district(district) if district else None
    query = queue.QueueQuery(
        district=where, search=search, **({"statuses": statuses} if statuses is not None else {})
    )
    with open_store_for(ctx) as store:
        rows: list[queue.QueueRow] = []
        after = None
        while len(rows) < limit:
            page = queue.queue_page(store, query, after, limit=min(500, limit - len(rows)))
            rows += page.rows
            if not page.has_more:
                break
            after = page.after
        total = queue.queue_count(store, query)
    if as_json:
        print_json(
            [
                {
                    "ref": r.ref,
                    "district": r.ref[:3],
                    "status": r.status,
                    "category": r.category,
                    "risk": r.risk,
                    "opened": r.opened_at,
                    "owner": r.owner or None,
                    "location": r.location,
                    "next_review": r.next_review,
                    "next_deadline": r.next_deadline_at,
                    "overdue": r.overdue,
                }
                for r in rows
            ]
        )
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for heading in ("Ref", "Opened", "Category", "Risk", "Status", "Next due"):
        table.add_column(heading, no_wrap=True, min_width=len(heading))
    table.add_column("Location", overflow="ellipsis", no_wrap=True, ratio=2)
    table.add_column("Owner", overflow="ellipsis", no_wrap=True, ratio=1)
    for r in rows:
        table.add_row(
            r.ref,
            format_date(r.opened_at),
            r.category.label,
            r.risk.label,
            r.status.label,
            _next_due(r),
            Text(one_line(r.location)),
            Text(one_line(r.owner)),
        )
    console = table_console()
    console.print(table)
    console.print(
        f"{len(rows):,} of {total:,} cases"
        + ("; ! marks overdue" if any(r.overdue for r in rows) else "")
    )


def _next_due(row: Any) -> str:
    due = row.next_due
    if due is None:
        return ""
    moment, statutory = due
    text = format_datetime(moment) if statutory else format_date(moment)
    return text + ("!" if row.overdue and moment <= datetime.now(moment.tzinfo) else "")


@case_app.command("show")
def case_show(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="The case reference, e.g. THA-26-7K3QX.")],
    reason: Annotated[
        str | None,
        typer.Option(
            help="Why you need people's addresses, phones and dates of birth: they are shown "
            "only with a reason, and each view is audited."
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Show one case with its people, incidents, notes and actions.

    People's dates of birth, addresses, phones and notes are held back unless --reason
    is given (the view of each person is then audited with it).
    """
    from asbtui.services import cases, enforcement

    with open_store_for(ctx) as store:
        detail = cases.case_detail(store, ref)
        if reason is not None:
            detail = replace(detail, parties=cases.person_details(store, ref, reason))
        actions = enforcement.case_actions(store, detail.id)
        deadlines = enforcement.case_deadlines(store, detail.id)
    now = utc_now()
    if as_json:
        data = asdict(detail)
        data["opened"] = data.pop("opened_at")
        data["owner"] = data.pop("owner_collar")
        for person in data["parties"]:
            if not person["details_shown"]:
                person.update(address=None, phone=None, date_of_birth=None, notes=None)
        data["actions"] = [asdict(a) for a in actions]
        data["deadlines"] = [deadline_json(d, now) for d in deadlines]
        print_json(data)
        return
    console = Console(highlight=False)
    out = console.print
    out(
        Text(
            f"{detail.ref}  {detail.district.label}  {detail.category.label}  "
            f"risk {detail.risk.label}  {detail.status.label}",
            style="bold",
        )
    )
    out(Text(visible(detail.summary, keep_newlines=True)))
    point = f" ({detail.point})" if detail.point else ""
    out(Text(f"Location: {one_line(detail.location)} {detail.postcode}".rstrip() + point))
    out(
        Text(
            f"Opened {format_datetime(detail.opened_at)} by {detail.channel.label}; owner "
            f"{one_line(detail.owner_name) or 'unallocated'}; next review "
            f"{format_date(detail.next_review) or 'none'}"
        )
    )
    if detail.closure_reason:
        out(Text(f"Closed {format_datetime(detail.closed_at)}: {detail.closure_reason.label}"))
        if detail.closing_summary:
            out(Text(f"Closing summary: {one_line(detail.closing_summary)}"))
        if detail.victim_asked is not None:
            answer = (detail.victim_satisfaction.label if detail.victim_satisfaction
                      else "not recorded") if detail.victim_asked else "not asked"
            out(Text(f"Victim's satisfaction: {answer}"))
    if detail.links:
        out(Text("Linked cases: " + ", ".join(
            f"{v.ref} ({v.district.label}, {v.status.label.lower()})" for v in detail.links)))
    if detail.merged_refs:
        out(Text("Duplicates merged in: " + ", ".join(detail.merged_refs)))
    out(Text("\nPeople", style="bold"))
    for p in detail.parties:
        flag = (" (vulnerable)" if p.vulnerable else "") + (
            " (withheld from partners)" if p.withheld else "")
        out(Text(f"  {p.role.label}: {one_line(p.name)}{flag}"))
        if p.details_shown:
            born = f"born {format_date(p.date_of_birth)}" if p.date_of_birth else ""
            facts = "; ".join(one_line(x) for x in (born, p.address, p.phone, p.notes) if x)
            if facts:
                out(Text(f"    {facts}"))
    if detail.parties and not any(p.details_shown for p in detail.parties):
        out(Text("  (addresses, phones and dates of birth: give --reason to see them; "
                 "the view is audited)"))
    out(Text(f"\nIncidents ({len(detail.incidents)})", style="bold"))
    for i in detail.incidents:
        crime = f" crime ref {one_line(i.crime_ref)}" if i.crime_ref else ""
        out(
            Text(
                f"  {format_datetime(i.occurred_at)}  {i.channel.label}  "
                f"{i.incident_type.label}: {one_line(i.description)}{crime}"
            )
        )
    if detail.notes:
        out(Text("\nPartner notes", style="bold"))
        for n in detail.notes:
            out(
                Text(
                    f"  {format_date(n.written_at)} {one_line(n.agency)} ({one_line(n.author)}): "
                    f"{one_line(n.text)}"
                )
            )
    if actions:
        out(Text("\nEnforcement actions", style="bold"))
        for a in actions:
            out(
                Text(
                    f"  {a.power.label} ({one_line(a.concerns)}): {a.stage_label}"
                    + (" [ended]" if a.closed else "")
                )
            )
            for step in a.steps:
                ends = f", until {format_datetime(step.ends_at)}" if step.ends_at else ""
                who = f" by {step.authority.label.lower()}" if step.authority else ""
                out(Text(f"    {format_datetime(step.occurred_at)}  {step.label}{who}{ends}"))
    open_deadlines = [d for d in deadlines if d.status.value == "open"]
    if open_deadlines:
        out(Text("\nOpen deadlines", style="bold"))
        for d in open_deadlines:
            line = Text(f"  {format_datetime(d.due_at)}  ")
            if d.overdue(now):
                line.append(f"OVERDUE {format_time_left(now - d.due_at)}", "bold red")
                line.append("  ")
            line.append(f"{one_line(d.label)} ({d.source})")
            out(line)
    late = [d for d in deadlines if d.met_at is not None]
    if late:
        out(Text("\nMissed, met late", style="bold"))
        for d in late:
            out(Text(f"  due {format_datetime(d.due_at)}, met {format_datetime(d.met_at)}  "
                     f"{one_line(d.label)}: {one_line(d.resolution)}"))


@case_app.command("export")
def case_export(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="The case reference, e.g. THA-26-7K3QX.")],
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="The new file to write (never overwritten).",
                     show_default=False),
    ],
    reason: Annotated[
        str,
        typer.Option(help="Why the case is exported: kept in the audit log with your name.",
                     show_default=False),
    ] = "",
    fmt: Annotated[
        str | None,
        typer.Option("--format", "-f",
                     help="pdf, md or json (default: from the file name's ending)."),
    ] = None,
    names_only: Annotated[
        bool,
        typer.Option("--names-only",
                     help="Leave out people's dates of birth, addresses, phones and notes."),
    ] = False,
    for_agency: Annotated[
        str | None,
        typer.Option("--for-agency", help="Make the file for a partner agency: only the "
                     "people its share discloses and the notes it may read.",
                     show_default=False),
    ] = None,
) -> None:
    """Write one case's file (PDF, Markdown or JSON): what you may see of it, audited.

    People's details go in unless --names-only; each person's view and the export itself
    are audited with the reason.
    """
    from asbtui.services import exporter

    chosen = exporter.parse_format(fmt if fmt is not None else output.suffix or "(none)")
    with open_store_for(ctx) as store:
        written = exporter.save_case(store, ref, chosen, reason, output,
                                     include_people=not names_only, for_agency=for_agency)
    print(f"Exported {ref.strip().upper()} ({chosen.label}) to {written}.")
