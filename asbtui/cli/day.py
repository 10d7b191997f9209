"""The officer's day: ``asbtui today``, ``triage``, ``first-contact``, ``victim``, ``task``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from asbtui.cli.base import (
    CaseRef,
    JsonFlag,
    app,
    context,
    open_store_for,
    print_json,
    sub_app,
    table_console,
)
from asbtui.dates import format_date, format_datetime, parse_date, parse_datetime, utc_now
from asbtui.errors import InvalidInput
from asbtui.literal import one_line, visible


def _due_text(due: object) -> str:
    from datetime import datetime

    return format_datetime(due) if isinstance(due, datetime) else format_date(due)  # type: ignore[arg-type]


@app.command("today")
def today(
    ctx: typer.Context,
    officer: Annotated[str | None, typer.Option(
        help="Another officer's day (collar, username or name; supervisors of their "
             "district).")] = None,
    days: Annotated[int, typer.Option(help="Days ahead, today the first (1 to 31).")] = 7,
    as_json: JsonFlag = False,
) -> None:
    """What is due today, this week and overdue: first contacts, reviews, deadlines,
    victim updates, tasks and ASB Case Review prompts (a supervisor: their districts, by
    officer)."""
    from asbtui.services import day

    now = utc_now()
    threshold = context(ctx).settings.case_review_threshold
    with open_store_for(ctx) as store:
        mine = day.my_day(store, officer=officer, days=days, now=now, threshold=threshold)
    if as_json:
        print_json([item.as_json(now) for item in mine.items])
        return
    console = table_console()
    console.print(Text(f"My day: {mine.title} ({len(mine.items)} items)", style="bold"))
    table = Table(box=None, pad_edge=False, header_style="bold")
    for heading in ("When", "Due", "Kind", "Case"):
        table.add_column(heading, no_wrap=True)
    if mine.by_officer:
        table.add_column("Officer", no_wrap=True)
    table.add_column("What", overflow="ellipsis", no_wrap=True)
    for item in mine.items:
        when = item.when(now)
        cells = [Text(when.value, style="bold red" if when is day.When.OVERDUE else ""),
                 Text(_due_text(item.due)), Text(item.kind.label), Text(item.case_ref)]
        if mine.by_officer:
            cells.append(Text(visible(item.officer)))
        cells.append(Text(visible(one_line(item.what, 80))))
        table.add_row(*cells)
    console.print(table)


@app.command("triage")
def triage_case(
    ctx: typer.Context,
    ref: CaseRef,
    factor: Annotated[list[str] | None, typer.Option(
        "--factor", help="An urgency factor answered yes (repeat): threat, vulnerable, hate, "
        "health, frequent, lasting, reprisal, isolated, previous.")] = None,
    reported: Annotated[str | None, typer.Option(
        help="When the report was made, DD/MM/YYYY HH:MM (default: when the case opened).")
    ] = None,
) -> None:
    """Triage a case: its priority and first-contact target (redone until contact is made)."""
    from asbtui.services import triage

    settings = context(ctx).settings
    when = parse_datetime(reported, field="reported") if reported else None
    with open_store_for(ctx) as store:
        view = triage.triage(store, ref, factor or [], reported_at=when,
                             targets=settings.response_targets())
    print(f"{view.case_ref}: {view.priority.value} priority; first contact due by "
          f"{format_datetime(view.due_at)}")


@app.command("first-contact")
def first_contact(
    ctx: typer.Context,
    ref: CaseRef,
    method: Annotated[str, typer.Option(help="visit, phone, video, email or letter.")],
    at: Annotated[str | None, typer.Option(help="When, DD/MM/YYYY HH:MM (default: now).")
                  ] = None,
) -> None:
    """Record the first contact with the victim or reporter: it meets the target."""
    from asbtui.services import triage

    when = parse_datetime(at, field="at") if at else None
    with open_store_for(ctx) as store:
        view = triage.record_first_contact(store, ref, method, at=when)
    state = "late" if view.breached(utc_now()) else "in time"
    print(f"{view.case_ref}: first contact recorded {format_datetime(view.met_at)} ({state}; "
          f"due by {format_datetime(view.due_at)})")


victim_app = sub_app("Victim updates: how often each victim is updated, and the contact log.")
app.add_typer(victim_app, name="victim")


def _victim_id(store: object, ref: str, name: str) -> str:
    from asbtui.services import victims

    wanted = " ".join(name.split()).lower()
    plans = victims.victim_plans(store, ref)  # type: ignore[arg-type]
    found = [p for p in plans if p.name.lower() == wanted] or [
        p for p in plans if p.name.lower().startswith(wanted)]
    if len(found) != 1:
        names = ", ".join(p.name for p in plans) or "none"
        raise InvalidInput(f"Name one victim of {ref.strip().upper()} (victims: {names}).",
                           "victim")
    return found[0].party_id


@victim_app.command("list")
def victim_list(
    ctx: typer.Context,
    ref: CaseRef,
    as_json: JsonFlag = False,
) -> None:
    """Each victim's update frequency, next update due and contact log (audited)."""
    from asbtui.services import victims

    with open_store_for(ctx) as store:
        plans = victims.victim_plans(store, ref)
    if as_json:
        print_json([{"victim": p.name, "frequency_days": p.frequency_days, "agreed": p.agreed,
                     "default_days": p.default_days,
                     "next_due": p.next_due, "last_contact": p.last_contact_at,
                     "contacts": [{"at": c.contacted_at, "method": c.method, "by": c.by_user,
                                   "said": c.said, "victim_view": c.victim_view}
                                  for c in p.contacts]} for p in plans])
        return
    console = table_console()
    for p in plans:
        line = Text.assemble(visible(p.name), f": {p.frequency_text()}, next due "
                             f"{format_date(p.next_due)}")
        console.print(line)
        for c in p.contacts:
            console.print(Text.assemble(f"  {format_datetime(c.contacted_at)} {c.method} by "
                                        f"{c.by_user}: ", visible(one_line(c.said, 80))))


@victim_app.command("contact")
def victim_contact(
    ctx: typer.Context,
    ref: CaseRef,
    victim: Annotated[str, typer.Option(help="The victim's name (or its start).")],
    method: Annotated[str, typer.Option(help="visit, phone, video, email, letter or text.")],
    said: Annotated[str, typer.Option(help="What the victim was told.")],
    view: Annotated[str, typer.Option(help="The victim's view.")] = "",
    at: Annotated[str | None, typer.Option(help="When, DD/MM/YYYY HH:MM (default: now).")
                  ] = None,
) -> None:
    """Log an update given to a victim; prints when the next one is due."""
    from asbtui.services import victims

    when = parse_datetime(at, field="at") if at else None
    with open_store_for(ctx) as store:
        party = _victim_id(store, ref, victim)
        due = victims.record_contact(store, ref, party, method, said, view, at=when)
    print(f"Next update due {format_date(due)}")


@victim_app.command("frequency")
def victim_frequency(
    ctx: typer.Context,
    ref: CaseRef,
    victim: Annotated[str, typer.Option(help="The victim's name (or its start).")],
    days: Annotated[int, typer.Option(help="Days between updates (1 to 90).")],
    agreed: Annotated[str, typer.Option(help="What the victim agreed to.")],
) -> None:
    """Change how often a victim is updated, as agreed with them."""
    from asbtui.services import victims

    with open_store_for(ctx) as store:
        party = _victim_id(store, ref, victim)
        due = victims.set_frequency(store, ref, party, days, agreed)
    print(f"Every {days} days; next update due {format_date(due)}")


task_app = sub_app("Action plan tasks: what, owner (officer or partner agency), due, done.")
app.add_typer(task_app, name="task")


@task_app.command("add")
def task_add(
    ctx: typer.Context,
    ref: CaseRef,
    what: Annotated[str, typer.Option(help="What is to be done.")],
    due: Annotated[str, typer.Option(help="Due date, DD/MM/YYYY.")],
    officer: Annotated[str | None, typer.Option(help="Owner officer's collar number.")] = None,
    agency: Annotated[str | None, typer.Option(help="Owner partner agency's name.")] = None,
) -> None:
    """Add a task to a case's action plan; prints the task's id."""
    from asbtui.services import tasks

    due_on = parse_date(due, field="due")
    with open_store_for(ctx) as store:
        print(tasks.add_task(store, ref, what, due_on, officer=officer, agency=agency))


@task_app.command("done")
def task_done(
    ctx: typer.Context,
    task_id: Annotated[str, typer.Argument(help="The task's id (its first 6+ characters).")],
    outcome: Annotated[str, typer.Option(help="What came of it.")],
    on: Annotated[str | None, typer.Option(help="Done on, DD/MM/YYYY (default: today).")
                  ] = None,
) -> None:
    """Mark a task done with its outcome (partners: their agency's tasks)."""
    from asbtui.services import tasks

    done_on = parse_date(on, field="on") if on else None
    with open_store_for(ctx) as store:
        view = tasks.complete_task(store, task_id, outcome, done_on=done_on)
    print(f"Done {format_date(view.done_on)}: {one_line(view.what, 60)}")


@task_app.command("list")
def task_list(
    ctx: typer.Context,
    ref: Annotated[str | None, typer.Argument(
        help="The case reference (partners: leave out for your agency's open tasks).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """A case's tasks (a partner sees its own agency's)."""
    from asbtui.services import tasks

    with open_store_for(ctx) as store:
        rows = tasks.case_tasks(store, ref) if ref else tasks.agency_tasks(store)
    if as_json:
        print_json([{"id": t.id, "case_ref": t.case_ref, "what": t.what, "owner": t.owner,
                     "due": t.due_on, "done": t.done_on, "outcome": t.outcome} for t in rows])
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for heading in ("Id", "Case", "Due", "Done", "Owner"):
        table.add_column(heading, no_wrap=True)
    table.add_column("What", overflow="ellipsis", no_wrap=True)
    for t in rows:
        table.add_row(Text(t.id[:8]), Text(t.case_ref), Text(format_date(t.due_on)),
                      Text(format_date(t.done_on)), Text(visible(t.owner)),
                      Text(visible(one_line(t.what, 80))))
    table_console().print(table)


conference_app = sub_app("Case conferences: multi-agency meetings, minutes, actions, agendas.")
app.add_typer(conference_app, name="conference")


def _conference_json(view: object) -> dict[str, object]:
    from asbtui.services.conferences import ConferenceView

    assert isinstance(view, ConferenceView)
    return {"id": view.id, "district": view.district, "title": view.title,
            "held_at": view.held_at, "place": view.place,
            "cases": [c.ref for c in view.cases],
            "attendees": [{"agency": a.agency, "name": a.name} for a in view.attendees],
            "decisions": view.decisions, "minutes_recorded_at": view.minutes_recorded_at,
            "actions": [{"id": t.id, "case_ref": t.case_ref, "what": t.what, "owner": t.owner,
                         "due": t.due_on, "done": t.done_on} for t in view.actions]}


@conference_app.command("add")
def conference_add(
    ctx: typer.Context,
    title: Annotated[str, typer.Option(help="What the meeting is about.")],
    at: Annotated[str, typer.Option(help="When, DD/MM/YYYY HH:MM.")],
    case: Annotated[list[str], typer.Option("--case", help="A case on the agenda (repeat).")],
    place: Annotated[str, typer.Option(help="Where.")] = "",
    attendee: Annotated[list[str] | None, typer.Option(
        "--attendee", help="AGENCY or AGENCY:NAME (repeat); police for Kent Police.")] = None,
) -> None:
    """Schedule a case conference; prints its id."""
    from asbtui.services import conferences

    when = parse_datetime(at, field="at")
    people = [conferences.Attendee(*(part.strip() for part in a.split(":", 1)))
              for a in attendee or []]
    with open_store_for(ctx) as store:
        print(conferences.schedule(store, title, when, case, place=place, attendees=people))


@conference_app.command("list")
def conference_list(
    ctx: typer.Context,
    district: Annotated[str | None, typer.Option(help="District code or name.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Case conferences, newest first."""
    from asbtui.services import conferences
    from asbtui.services.cases import parse_district

    with open_store_for(ctx) as store:
        rows = conferences.conferences(store, parse_district(district) if district else None)
    if as_json:
        print_json([_conference_json(v) for v in rows])
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for heading in ("Id", "When", "District", "Cases", "Actions"):
        table.add_column(heading, no_wrap=True)
    table.add_column("Title", overflow="ellipsis", no_wrap=True)
    for v in rows:
        table.add_row(Text(v.id[:8]), Text(format_datetime(v.held_at)), Text(v.district.value),
                      Text(str(len(v.cases))), Text(str(len(v.actions))),
                      Text(visible(one_line(v.title, 60))))
    table_console().print(table)


@conference_app.command("show")
def conference_show(
    ctx: typer.Context,
    conference_id: Annotated[str, typer.Argument(help="Its id (first 6+ characters).")],
    as_json: JsonFlag = False,
) -> None:
    """One conference: cases, attendees, decisions and actions."""
    from asbtui.services import conferences

    with open_store_for(ctx) as store:
        view = conferences.conference(store, conference_id)
    if as_json:
        print_json(_conference_json(view))
        return
    console = table_console()
    console.print(Text(f"{visible(view.title)} · {format_datetime(view.held_at)} · "
                       f"{visible(view.place)}", style="bold"))
    console.print(Text("Cases: " + ", ".join(c.ref for c in view.cases)))
    console.print(Text("Attendees: " + "; ".join(
        visible(f"{a.agency}{': ' + a.name if a.name else ''}") for a in view.attendees)))
    if view.decisions:
        console.print(Text("Decisions: " + visible(view.decisions)))
    for t in view.actions:
        console.print(Text(f"Action {t.id[:8]} {t.case_ref} due {format_date(t.due_on)} "
                           f"({visible(t.owner)}): {visible(one_line(t.what, 60))}"))


@conference_app.command("minutes")
def conference_minutes(
    ctx: typer.Context,
    conference_id: Annotated[str, typer.Argument(help="Its id (first 6+ characters).")],
    text: Annotated[str, typer.Option(help="The minutes.")],
    decisions: Annotated[str, typer.Option(help="What was decided.")] = "",
    visibility: Annotated[str, typer.Option(help="police, named or all_partners.")
                          ] = "police",
    agency: Annotated[list[str] | None, typer.Option(
        "--agency", help="An agency that may read them (repeat; with --visibility named).")
    ] = None,
    reason: Annotated[str | None, typer.Option(
        help="Why partners may read them (a disclosure).")] = None,
) -> None:
    """Record the minutes (a note on each case, shared as chosen) and the decisions."""
    from asbtui.services import conferences

    with open_store_for(ctx) as store:
        count = conferences.record_minutes(store, conference_id, text, decisions,
                                           visibility=visibility, audience=agency or [],
                                           reason=reason)
    print(f"Minutes noted on {count} cases.")


@conference_app.command("action")
def conference_action(
    ctx: typer.Context,
    conference_id: Annotated[str, typer.Argument(help="Its id (first 6+ characters).")],
    case: Annotated[str, typer.Option("--case", help="The case it concerns.")],
    what: Annotated[str, typer.Option(help="What is to be done.")],
    due: Annotated[str, typer.Option(help="Due date, DD/MM/YYYY.")],
    officer: Annotated[str | None, typer.Option(help="Owner officer's collar number.")] = None,
    agency: Annotated[str | None, typer.Option(help="Owner partner agency's name.")] = None,
) -> None:
    """An action allocated by the conference: it becomes a task; prints the task's id."""
    from asbtui.services import conferences

    due_on = parse_date(due, field="due")
    with open_store_for(ctx) as store:
        print(conferences.add_action(store, conference_id, case, what, due_on,
                                     officer=officer, agency=agency))


@conference_app.command("agenda")
def conference_agenda(
    ctx: typer.Context,
    conference_id: Annotated[str, typer.Argument(help="Its id (first 6+ characters).")],
    output: Annotated[str, typer.Option("-o", "--output", help="The Markdown file to write.")],
) -> None:
    """Export the agenda (cases, their state, open tasks, deadlines) as Markdown."""
    from pathlib import Path

    from asbtui.services import conferences

    target = Path(output)
    if target.exists():
        raise InvalidInput(f"{output} already exists: choose a new file.")
    with open_store_for(ctx) as store:
        text = conferences.agenda_markdown(store, conference_id)
    try:
        target.write_text(text + "\n", encoding="utf-8")
    except OSError as error:
        raise InvalidInput(f"Could not write {output}: {error.strerror}.") from None
    print(f"Agenda written to {output}")


letter_app = sub_app("Letters and notices: warning letter, CPW and CPN (PDF or Markdown).")
app.add_typer(letter_app, name="letter")


@letter_app.command("make")
def letter_make(
    ctx: typer.Context,
    ref: CaseRef,
    kind: Annotated[str, typer.Option(help="warning_letter, cpw or cpn.")],
    output: Annotated[str, typer.Option("-o", "--output", help="The file to write.")],
    fmt: Annotated[str, typer.Option("--format", help="pdf or md.")] = "pdf",
) -> None:
    """Produce a letter or notice from the case's latest action of that power (audited)."""
    from pathlib import Path

    from asbtui.services import letters

    target = Path(output)
    if target.exists():
        raise InvalidInput(f"{output} already exists: choose a new file.")
    with open_store_for(ctx) as store:
        data = letters.render(letters.produce(store, ref, kind), fmt)
    try:
        target.write_bytes(data)
    except OSError as error:
        raise InvalidInput(f"Could not write {output}: {error.strerror}.") from None
    print(f"Written to {output}")


@letter_app.command("template")
def letter_template(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="warning_letter, cpw or cpn.")],
) -> None:
    """Print a kind's template (the local one if an admin set one)."""
    from asbtui.services import letters

    with open_store_for(ctx) as store:
        text, local = letters.template(store, kind)
    print(f"# ({'local' if local else 'built-in'} template)")
    print(text)


@letter_app.command("template-set")
def letter_template_set(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="warning_letter, cpw or cpn.")],
    file: Annotated[str, typer.Argument(help="A Markdown file with {placeholders}.")],
) -> None:
    """Replace a template with a local one (admins); CPW and CPN keep {statutory}."""
    from pathlib import Path

    from asbtui.services import letters

    try:
        text = Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(f"Could not read {file}: {error}.") from None
    with open_store_for(ctx) as store:
        letters.set_template(store, kind, text)
    print(f"The {letters.parse_kind(kind).label} now uses the local template.")


@letter_app.command("template-reset")
def letter_template_reset(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="warning_letter, cpw or cpn.")],
) -> None:
    """Go back to the built-in template (admins)."""
    from asbtui.services import letters

    with open_store_for(ctx) as store:
        letters.reset_template(store, kind)
    print(f"The {letters.parse_kind(kind).label} uses the built-in template again.")
