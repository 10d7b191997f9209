"""``asbtui case share|unshare|timeline`` and ``asbtui note``: working with partners."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from asbtui.cli.base import JsonFlag, app, choices, open_store_for, print_json, sub_app
from asbtui.cli.cases import case_app
from asbtui.dates import format_datetime
from asbtui.literal import one_line, visible
from asbtui.models import NoteVisibility

note_app = sub_app("Partner notes on a case: add them (a correction supersedes a note), list them.")
app.add_typer(note_app, name="note")

RefArgument = Annotated[str, typer.Argument(help="The case reference, e.g. THA-26-7K3QX.")]


@case_app.command("share")
def case_share(
    ctx: typer.Context,
    ref: RefArgument,
    agency: Annotated[str, typer.Option(help="The partner agency (its name, or its start).")],
    reason: Annotated[str, typer.Option(help="Why the case is disclosed (audited).")],
    person: Annotated[list[str] | None, typer.Option(
        "--person", help="A person to disclose (their id from 'case show --json'; repeat "
        "it). Default: the victims only.", show_default=False)] = None,
    no_people: Annotated[bool, typer.Option(
        "--no-people", help="Disclose nobody's name or details with the case.")] = False,
) -> None:
    """Share a case with a partner agency (a disclosure, audited with the reason).

    A person marked withheld (anonymous, or not to be disclosed) is never disclosed;
    perpetrators, reporters and witnesses only when named with --person.
    """
    from asbtui.errors import InvalidInput
    from asbtui.services import partners

    if person and no_people:
        raise InvalidInput("Give --person or --no-people, not both.")
    chosen = [] if no_people else (person or None)
    with open_store_for(ctx) as store:
        share = partners.share_case(store, ref, agency, reason, people=chosen)
    print(f"{ref.strip().upper()} shared with {share.agency} (ISA {share.isa_ref}).")


@case_app.command("withhold")
def case_withhold(
    ctx: typer.Context,
    ref: RefArgument,
    person: Annotated[str, typer.Argument(help="The person's id (from 'case show --json').")],
    disclose: Annotated[bool, typer.Option(
        "--disclose", help="Undo: the person may be disclosed to partners again.")] = False,
) -> None:
    """Mark a person anonymous / "do not disclose to partners" (audited)."""
    from asbtui.services import cases

    with open_store_for(ctx) as store:
        view = cases.set_withheld(store, ref, person, not disclose)
    state = "may be disclosed to partners" if disclose else "is withheld from partners"
    print(f"The {view.role.value} {view.id[:8]} on {ref.strip().upper()} {state}.")


@case_app.command("unshare")
def case_unshare(
    ctx: typer.Context,
    ref: RefArgument,
    agency: Annotated[str, typer.Option(help="The partner agency to stop sharing with.")],
) -> None:
    """Stop sharing a case with a partner agency."""
    from asbtui.services import partners

    with open_store_for(ctx) as store:
        partners.revoke_share(store, ref, agency)
    print(f"{ref.strip().upper()} is no longer shared with {agency.strip()}.")


@case_app.command("timeline")
def case_timeline(
    ctx: typer.Context,
    ref: RefArgument,
    as_json: JsonFlag = False,
) -> None:
    """Incidents, partner notes and enforcement steps of a case, oldest first."""
    from asbtui.services import partners

    with open_store_for(ctx) as store:
        entries = partners.timeline(store, ref)
    if as_json:
        print_json([{"at": e.at, "kind": e.kind, "title": e.title, "text": e.text,
                     "who": e.who or None} for e in entries])
        return
    out = Console(highlight=False, soft_wrap=True).print
    for e in entries:
        who = f" ({one_line(e.who)})" if e.who else ""
        out(Text(f"{format_datetime(e.at)}  {one_line(e.title)}{who}"))
        if e.text:
            out(Text(f"    {one_line(e.text)}"))
    out(f"{len(entries):,} entries")


def note_json(n: Any) -> dict[str, Any]:
    return {
        "id": n.id,
        "agency": n.agency,
        "author": n.author,
        "written": n.written_at,
        "visibility": n.visibility,
        "audience": list(n.audience),
        "seen_by": n.seen_by,
        "text": n.text,
        "supersedes": n.supersedes_id,
        "superseded_by": n.superseded_by_id,
        "current": n.current,
    }


@note_app.command("add")
def note_add(
    ctx: typer.Context,
    ref: RefArgument,
    text: Annotated[str, typer.Option(help="The note.")],
    visibility: Annotated[
        str, typer.Option(help=f"Who may read it: {choices(NoteVisibility)}.")
    ] = "police",
    agency: Annotated[
        list[str] | None,
        typer.Option(help="An agency that may read a 'named' note (repeat for more)."),
    ] = None,
    supersedes: Annotated[
        str | None,
        typer.Option(metavar="NOTE_ID", help="The note this one corrects (see note list)."),
    ] = None,
    reason: Annotated[
        str | None, typer.Option(help="Why police information goes to partners (audited).")
    ] = None,
) -> None:
    """Add a partner note (or a correction of one) and print its id."""
    from asbtui.services import partners

    with open_store_for(ctx) as store:
        note = partners.add_note(store, ref, text, visibility=visibility, audience=agency or (),
                                 supersedes=_full_note_id(store, ref, supersedes),
                                 reason=reason)
    print(note.id)


def _full_note_id(store: Any, ref: str, wanted: str | None) -> str | None:
    """A note id from its first 6 or more characters (as ``note list`` shows them)."""
    from asbtui.errors import InvalidInput
    from asbtui.services import partners

    if wanted is None:
        return None
    short = wanted.strip().lower()
    if len(short) >= 32:
        return short
    if len(short) < 6:
        raise InvalidInput("Give at least the first 6 characters of the note's id.")
    found = [n.id for n in partners.case_notes(store, ref) if n.id.startswith(short)]
    if len(found) > 1:
        raise InvalidInput(f"'{one_line(wanted, 40)}' could be {len(found)} notes: give more.")
    return found[0] if found else short


@note_app.command("list")
def note_list(
    ctx: typer.Context,
    ref: RefArgument,
    as_json: JsonFlag = False,
) -> None:
    """The notes of a case you may read, newest first, with corrections marked."""
    from asbtui.services import partners

    with open_store_for(ctx) as store:
        notes = partners.case_notes(store, ref)
    if as_json:
        print_json([note_json(n) for n in notes])
        return
    out = Console(highlight=False, soft_wrap=True).print
    for n in notes:
        links = []
        if n.supersedes_id:
            links.append(f"corrects {n.supersedes_id[:8]}")
        if n.superseded_by_id:
            links.append(f"corrected by {n.superseded_by_id[:8]}")
        extra = f" [{'; '.join(links)}]" if links else ""
        out(Text(f"{n.id[:8]}  {format_datetime(n.written_at)}  {one_line(n.agency)} "
                 f"({one_line(n.author)})  for {one_line(n.seen_by)}{extra}"))
        out(Text(f"    {visible(n.text)}"))
    out(f"{len(notes):,} notes")
