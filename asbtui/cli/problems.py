"""``asbtui problem``: SARA problem profiles, listed and shown."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from asbtui.cli.base import JsonFlag, app, open_store_for, print_json, sub_app, table_console
from asbtui.dates import format_date
from asbtui.literal import one_line, visible

problem_app = sub_app("SARA problem profiles of the Problem-Solving Task Force.")
app.add_typer(problem_app, name="problem")


def _measured(assessment: Any) -> dict[str, Any]:
    return asdict(assessment) | {"summary": assessment.summary()}


@problem_app.command("list")
def problem_list(
    ctx: typer.Context,
    district: Annotated[str | None, typer.Option(help="District code or name.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List problem profiles: open ones first, newest first."""
    from asbtui.services import problems

    with open_store_for(ctx) as store:
        rows = problems.problems(store, district)
    if as_json:
        print_json(
            [
                {
                    "id": p.id,
                    "title": p.title,
                    "district": p.district,
                    "stage": p.stage,
                    "owner": p.owner,
                    "opened": p.opened_on,
                    "cases": p.cases,
                    "responses_done": p.responses_done,
                    "responses_total": p.responses_total,
                    "reports": _measured(p.assessment),
                }
                for p in rows
            ]
        )
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for heading in ("Id", "District", "Stage", "Cases", "Responses", "Before → after"):
        table.add_column(heading, no_wrap=True)
    table.add_column("Title", overflow="ellipsis", no_wrap=True)
    for p in rows:
        table.add_row(
            p.short_id,
            p.district.value if p.district else "",
            p.stage.label,
            str(p.cases),
            f"{p.responses_done}/{p.responses_total}",
            p.assessment.summary(),
            Text(one_line(p.title)),
        )
    console = table_console()
    console.print(table)
    console.print(f"{len(rows):,} problems")


@problem_app.command("show")
def problem_show(
    ctx: typer.Context,
    problem_id: Annotated[
        str,
        typer.Argument(
            metavar="ID", help="The problem's id (the first 6 or more characters will do)."
        ),
    ],
    as_json: JsonFlag = False,
) -> None:
    """Show one problem: cases, analysis, responses, and reports before and after."""
    from asbtui.services import problems

    with open_store_for(ctx) as store:
        d = problems.problem_detail(store, problem_id)
    if as_json:
        data = asdict(d)
        del data["assessment"]
        data["reports"] = _measured(d.assessment)
        data["assessment"] = data.pop("assessment_text")
        data["opened"] = data.pop("opened_on")
        print_json(data)
        return
    out = Console(highlight=False).print
    out(Text(one_line(d.title), style="bold"))
    street = f"; street {one_line(d.street_label)}" if d.street_key else ""
    out(
        Text(
            f"{d.stage.label} · {d.district.label if d.district else 'no district'} · lead "
            f"{one_line(d.owner) or 'none'} · opened {format_date(d.opened_on)}{street}"
        )
    )
    out(Text(f"\nCases ({len(d.cases)})", style="bold"))
    for c in d.cases:
        out(Text(f"  {c.ref}  {c.status.label}  {c.incidents} reports  {one_line(c.location)}"))
    out(Text("\nAnalysis", style="bold"))
    for label, text in (
        ("Victim", d.victim_analysis),
        ("Offender", d.offender_analysis),
        ("Location", d.location_analysis),
    ):
        out(Text(f"  {label}: {visible(text, keep_newlines=True) or '-'}"))
    out(
        Text(
            f"\nResponses ({sum(r.done for r in d.responses)} of {len(d.responses)} done)",
            style="bold",
        )
    )
    for r in d.responses:
        due = f" due {format_date(r.due_on)}" if r.due_on else ""
        done = f" done {format_date(r.done_on)}" if r.done_on else " open"
        who = ", ".join(one_line(x) for x in (r.owner, r.agency) if x)
        out(Text(f"  {one_line(r.action)}{f' ({who})' if who else ''}{due}{done}"))
    a = d.assessment
    out(Text("\nAssessment", style="bold"))
    if a.measured:
        out(
            Text(
                f"  Reports {a.months} months before → after responses started "
                f"({format_date(a.started_on)}): {a.summary()}"
            )
        )
        out(
            Text(
                f"  before: {a.before_cases} case incidents + {a.before_imported} police.uk; "
                f"after: {a.after_cases} + {a.after_imported}"
            )
        )
    if d.assessment_text:
        out(Text(f"  {visible(d.assessment_text, keep_newlines=True)}"))
