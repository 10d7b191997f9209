"""``asbtui deadlines`` and ``asbtui pspo``: what is due, and the PSPO register."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from asbtui.cli.base import JsonFlag, app, open_store_for, print_json, sub_app, table_console
from asbtui.dates import format_date, format_datetime, format_time_left, london_today
from asbtui.literal import one_line


def deadline_json(d: Any, now: datetime | None = None) -> dict[str, Any]:
    """A deadline's stable keys; with ``now``, whether (and how long) it is overdue."""
    data = {
        "id": d.id,
        "ref": d.case_ref,
        "district": d.district,
        "kind": d.kind,
        "label": d.label,
        "source": d.source,
        "due": d.due_at,
        "status": d.status,
        "power": d.power,
        "pspo": d.pspo_title,
        "resolution": d.resolution or None,
        "met_late_at": d.met_at,
    }
    if now is not None:
        data["overdue"] = d.overdue(now)
        data["minutes_overdue"] = d.minutes_overdue(now)
    return data


@app.command()
def deadlines(
    ctx: typer.Context,
    days: Annotated[int, typer.Option(min=0, max=3650, help="Due within this many days.")] = 14,
    district: Annotated[
        str | None, typer.Option(help="District code or name (default: every district).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Statutory and review deadlines due within DAYS, overdue ones first."""
    from asbtui.dates import utc_now
    from asbtui.services import cases, enforcement

    where = cases.parse_district(district) if district else None
    now = utc_now()
    with open_store_for(ctx) as store:
        rows = enforcement.upcoming_deadlines(store, district=where, days=days, now=now)
    if as_json:
        print_json(
            [
                deadline_json(d, now)
                | {"minutes_left": int(d.time_left(now).total_seconds() // 60)}
                for d in rows
            ]
        )
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for heading in ("Due", "Time left", "Case", "Deadline", "Law"):
        table.add_column(heading, no_wrap=True)
    for d in rows:
        style = "bold red" if d.overdue(now) else "yellow" if d.time_left(now).days < 2 else ""
        table.add_row(
            Text(format_datetime(d.due_at), style=style),
            Text(format_time_left(d.time_left(now)), style=style),
            Text(d.case_ref or one_line(d.pspo_title) or ""),
            Text(one_line(d.label)),
            Text(d.source),
        )
    console = table_console()
    console.print(table)
    overdue = sum(d.overdue(now) for d in rows)
    console.print(f"{len(rows):,} due within {days} days ({overdue:,} overdue)")


pspo_app = sub_app("The register of Public Spaces Protection Orders.")
app.add_typer(pspo_app, name="pspo")


@pspo_app.command("list")
def pspo_list(
    ctx: typer.Context,
    district: Annotated[str | None, typer.Option(help="District code or name.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """PSPOs with their areas, prohibitions, expiry and breaches."""
    from asbtui.services import cases, enforcement

    where = cases.parse_district(district) if district else None
    with open_store_for(ctx) as store:
        rows = enforcement.pspo_register(store, where)
    if as_json:
        print_json([asdict(p) for p in rows])
        return
    for p in rows:
        print(
            f"{p.district.value}  {one_line(p.title)}  {format_date(p.made_on)} to "
            f"{format_date(p.expires_on)}  breaches: {p.breaches}"
        )
        if p.challenge_until is not None:
            state = "open" if p.challenge_open(london_today()) else "closed"
            print(
                f"     High Court challenge (s66(3)): {state}, last day "
                f"{format_date(p.challenge_until)}"
            )
        print(f"     area: {one_line(p.area)}")
        print(f"     prohibits: {one_line(p.prohibitions)}")


@pspo_app.command("vary")
def pspo_vary(
    ctx: typer.Context,
    pspo_id: Annotated[str, typer.Argument(help="The order's id (pspo list --json).")],
    decided_on: Annotated[str, typer.Option("--on", help="The day varied, DD/MM/YYYY.")],
    area: Annotated[str, typer.Option(help="The area as varied.")] = "",
    prohibitions: Annotated[str, typer.Option(help="The prohibitions as varied.")] = "",
) -> None:
    """Vary a PSPO's area or prohibitions (s61); opens a six-week challenge window (s66)."""
    from asbtui.dates import parse_date
    from asbtui.services import enforcement

    day = parse_date(decided_on, field="on")
    with open_store_for(ctx) as store:
        enforcement.vary_pspo(store, pspo_id, day, area=area, prohibitions=prohibitions)
    print(f"Varied on {format_date(day)}.")


action_app = sub_app("Record the steps of enforcement actions.")
app.add_typer(action_app, name="action")


@action_app.command("step")
def action_step(
    ctx: typer.Context,
    action_id: Annotated[str, typer.Argument(help="The action's id (case show REF --json).")],
    stage: Annotated[str, typer.Argument(help="The step, e.g. order_granted, hearing_adjourned.")],
    at: Annotated[
        str,
        typer.Option(
            "--at",
            help="When it happened: DD/MM/YYYY HH:MM, London time (add GMT for the second "
            "01:xx when the clocks go back).",
        ),
    ],
    ends: Annotated[
        str | None, typer.Option(help="Its end or date to comply by, DD/MM/YYYY HH:MM.")
    ] = None,
    authority: Annotated[str | None, typer.Option(help="Rank or role, e.g. court.")] = None,
    authorised_by: Annotated[str, typer.Option(help="Name of who authorised it.")] = "",
    documents: Annotated[str, typer.Option(help="Document references.")] = "",
    notes: Annotated[str, typer.Option(help="Notes.")] = "",
    reason: Annotated[
        str,
        typer.Option(
            help="Why a deadline this step meets was missed, when the step comes after it "
            "(it is recorded as missed, met late)."
        ),
    ] = "",
) -> None:
    """Record the next step of an action; prints the step's id."""
    from asbtui.dates import parse_datetime
    from asbtui.services import enforcement

    step = enforcement.StepInput(
        occurred_at=parse_datetime(at, field="at"),
        authority=authority,
        authorised_by=authorised_by,
        ends_at=parse_datetime(ends, field="ends") if ends else None,
        documents=documents,
        notes=notes,
        late_reason=reason,
    )
    with open_store_for(ctx) as store:
        print(enforcement.record_step(store, action_id, stage, step))
