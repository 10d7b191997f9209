"""The command line: ``asbtui`` opens the app; sub-commands script the same services.

Every error a user can cause ends as one line on stderr: exit code 1 for bad input or a
bad store, 2 for bad usage (an unknown option, a missing argument). Never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from asbtui import __version__
from asbtui.config import Settings, load_settings
from asbtui.dates import format_date, format_datetime
from asbtui.errors import AsbError, InvalidInput, StoreError
from asbtui.literal import one_line, visible
from asbtui.models import CaseStatus, Category, Channel, District, RiskLevel

EXIT_BAD_INPUT = 1
EXIT_USAGE = 2


class AsbGroup(typer.core.TyperGroup):
    """Turns every error into one plain line on stderr and the right exit code."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        try:
            result = super().main(args=args, prog_name=prog_name or "asbtui",
                                  complete_var=complete_var, standalone_mode=False, **extra)
        except typer.Abort:
            _fail("Stopped.", 130)
        except AsbError as error:
            _fail(str(error), error.exit_code)
        except KeyboardInterrupt:
            _fail("Stopped.", 130)
        except Exception as error:
            # Typer vendors click, so its exception classes are private: recognise click's
            # exceptions by their protocol (a message and an exit code: 2 for usage).
            if hasattr(error, "format_message") and hasattr(error, "exit_code"):
                _fail(error.format_message().strip(), int(error.exit_code) or EXIT_BAD_INPUT)
            raise
        sys.exit(result if isinstance(result, int) else 0)


def _fail(message: str, code: int) -> NoReturn:
    print(f"asbtui: {message}", file=sys.stderr)
    sys.exit(code)


app = typer.Typer(cls=AsbGroup, add_completion=False, pretty_exceptions_enable=False,
                  rich_markup_mode=None, help="Anti-social behaviour casework for CSU officers.")
case_app = typer.Typer(cls=AsbGroup, add_completion=False, rich_markup_mode=None,
                       help="Open, list and show cases.", no_args_is_help=True)
db_app = typer.Typer(cls=AsbGroup, add_completion=False, rich_markup_mode=None,
                     help="Check, back up and migrate the store.", no_args_is_help=True)
app.add_typer(case_app, name="case")
app.add_typer(db_app, name="db")


@dataclass
class Context:
    settings: Settings
    db: Path


def _context(ctx: typer.Context) -> Context:
    return ctx.find_root().obj


def _open(ctx: typer.Context, *, create: bool = False):  # noqa: ANN202
    from asbtui.db import open_store

    return open_store(_context(ctx).db, create=create)


DbOption = Annotated[
    Path | None,
    # No path checks here: open_store explains a folder or an unreadable file itself.
    typer.Option("--db", help="The store file (default: ASBTUI_DB or the user data folder).",
                 show_default=False),
]


def _version(value: bool) -> None:
    if value:
        print(f"asbtui {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    db: DbOption = None,
    officer: Annotated[str | None, typer.Option(
        "--officer", help="Your collar number, e.g. 'PC 4512' (for 'my cases').")] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and stop.")] = False,
) -> None:
    """Open the app on the store (offering to make one if there is none yet)."""
    settings = load_settings()
    if officer:
        settings.officer = officer
    ctx.obj = Context(settings=settings, db=(db or settings.db).expanduser())
    if ctx.invoked_subcommand is None:
        _run_app(ctx)


def _run_app(ctx: typer.Context) -> None:
    from asbtui.db import open_store
    from asbtui.services import cases

    context = _context(ctx)
    if not context.db.exists():
        _offer_new_store(context.db)
    store = open_store(context.db)
    try:
        if context.settings.officer:
            cases.set_device_officer(store, context.settings.officer)
        from asbtui.app import AsbApp

        AsbApp(store, settings=context.settings).run()
    finally:
        store.close()


def _offer_new_store(path: Path) -> None:
    if not sys.stdin.isatty():
        raise StoreError(f"There is no store at {path}. Create one with: asbtui demo --db {path}")
    print(f"There is no store at {path} yet.")
    choice = typer.prompt(
        "Build a demo store with 2,000 synthetic cases (d), an empty store (e), or quit (q)?",
        default="d",
    ).strip().lower()
    from asbtui.db import open_store

    if choice.startswith("d"):
        with open_store(path, create=True) as store:
            _print_demo(store, _build_demo(store, 2000, 1))
    elif choice.startswith("e"):
        open_store(path, create=True).close()
    else:
        raise typer.Exit(0)


# ---------------------------------------------------------------------------- demo


def _build_demo(store: Any, cases: int, seed: int) -> Any:
    from asbtui.services.demo import build_demo

    err = Console(stderr=True)
    with err.status(f"Building {cases:,} synthetic cases…"):
        return build_demo(store, cases=cases, seed=seed)


def _print_demo(store: Any, summary: Any) -> None:
    print(f"Demo store {store.path}: {summary.cases:,} cases, {summary.incidents:,} incidents, "
          f"{summary.parties:,} people (all synthetic).")
    print(f"Invicta Road, Margate closure case: {summary.invicta_ref}")
    print(f"This device's officer: {summary.device_officer} (Thanet). Officers by district:")
    for district in District:
        collars = [c for c, _, d in summary.officers if d is district]
        print(f"  {district.value} {district.label}: {', '.join(collars)}")


@app.command()
def demo(
    ctx: typer.Context,
    db: DbOption = None,
    cases: Annotated[int, typer.Option(min=1, max=2_000_000, help="How many cases.")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed, the same store.")] = 1,
) -> None:
    """Build a synthetic Kent store (faker en_GB) in a new file."""
    from asbtui.db import open_store

    path = (db or _context(ctx).db).expanduser()
    if path.exists():
        raise StoreError(f"{path} already exists; give a new file name for the demo store.")
    try:
        with open_store(path, create=True) as store:
            summary = _build_demo(store, cases, seed)
    except BaseException:
        # A half-built demo is no use to anyone: remove it so the command can be rerun.
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        raise
    _print_demo(store, summary)


# ---------------------------------------------------------------------------- case


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(type(value).__name__)


def _print_json(data: object) -> None:
    print(json.dumps(data, default=_json_default, indent=2, ensure_ascii=False))


def _choices(enum: type[Enum]) -> str:
    return ", ".join(m.value for m in enum)


@case_app.command("add")
def case_add(
    ctx: typer.Context,
    district: Annotated[str, typer.Option(help="District code or name, e.g. THA or Thanet.")],
    category: Annotated[str, typer.Option(help=f"One of: {_choices(Category)}.")],
    summary: Annotated[str, typer.Option(help="What the problem is.")],
    location: Annotated[str, typer.Option(help="Address or place.")] = "",
    postcode: Annotated[str, typer.Option(help="Postcode, if known.")] = "",
    channel: Annotated[str, typer.Option(help=f"One of: {_choices(Channel)}.")] = "101",
    risk: Annotated[str, typer.Option(help=f"One of: {_choices(RiskLevel)}.")] = "standard",
    owner: Annotated[str | None, typer.Option(help="Owner's collar number.")] = None,
) -> None:
    """Open a case and print its reference."""
    from asbtui.services import cases

    with _open(ctx) as store:
        ref = cases.create_case(store, cases.NewCase(
            district=district, category=category, summary=summary, location=location,
            postcode=postcode, channel=channel, risk=risk, owner_collar=owner))
    print(ref)


def _parse_status(value: str | None) -> tuple[CaseStatus, ...] | None:
    if value is None:
        return None
    if value.strip().lower() in ("all", "any"):
        return ()
    try:
        return tuple(CaseStatus(v.strip().lower()) for v in value.split(","))
    except ValueError:
        raise InvalidInput(f"'{value}' is not a status: use one of {_choices(CaseStatus)}, "
                           "or all.") from None


@case_app.command("list")
def case_list(
    ctx: typer.Context,
    district: Annotated[str | None, typer.Option(help="District code or name.")] = None,
    status: Annotated[str | None, typer.Option(
        help=f"Comma-separated: {_choices(CaseStatus)}, or all (default: every open status).")
    ] = None,
    search: Annotated[str, typer.Option(help="Words to find in refs, names, addresses.")] = "",
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="At most this many.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List cases, most urgent first."""
    from asbtui.services import cases, queue

    statuses = _parse_status(status)
    where = cases.parse_district(district) if district else None
    query = queue.QueueQuery(district=where, search=search,
                             **({"statuses": statuses} if statuses is not None else {}))
    with _open(ctx) as store:
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
        _print_json([{
            "ref": r.ref, "district": r.ref[:3], "status": r.status, "category": r.category,
            "risk": r.risk, "opened": r.opened_at, "owner": r.owner or None,
            "location": r.location, "next_review": r.next_review,
            "next_deadline": r.next_deadline_at, "overdue": r.overdue,
        } for r in rows])
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for heading in ("Ref", "Opened", "Category", "Risk", "Status", "Next due"):
        table.add_column(heading, no_wrap=True, min_width=len(heading))
    table.add_column("Location", overflow="ellipsis", no_wrap=True, ratio=2)
    table.add_column("Owner", overflow="ellipsis", no_wrap=True, ratio=1)
    for r in rows:
        table.add_row(r.ref, format_date(r.opened_at), r.category.label, r.risk.label,
                      r.status.label, _next_due(r),
                      Text(one_line(r.location)), Text(one_line(r.owner)))
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=200)  # pipes and files get whole lines
    console.print(table)
    console.print(f"{len(rows):,} of {total:,} cases" + ("; ! marks overdue" if any(
        r.overdue for r in rows) else ""))


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
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show one case with its people, incidents, notes and actions."""
    from asbtui.services import cases, enforcement

    with _open(ctx) as store:
        detail = cases.case_detail(store, ref)
        actions = enforcement.case_actions(store, detail.id)
        deadlines = enforcement.case_deadlines(store, detail.id)
    if as_json:
        data = asdict(detail)
        data["opened"] = data.pop("opened_at")
        data["owner"] = data.pop("owner_collar")
        data["actions"] = [asdict(a) for a in actions]
        data["deadlines"] = [_deadline_json(d) for d in deadlines]
        _print_json(data)
        return
    console = Console(highlight=False)
    out = console.print
    out(Text(f"{detail.ref}  {detail.district.label}  {detail.category.label}  "
             f"risk {detail.risk.label}  {detail.status.label}", style="bold"))
    out(Text(visible(detail.summary, keep_newlines=True)))
    out(Text(f"Location: {one_line(detail.location)} {detail.postcode}".rstrip()))
    out(Text(f"Opened {format_datetime(detail.opened_at)} by {detail.channel.label}; owner "
             f"{one_line(detail.owner_name) or 'unallocated'}; next review "
             f"{format_date(detail.next_review) or 'none'}"))
    if detail.closure_reason:
        out(Text(f"Closed {format_datetime(detail.closed_at)}: {detail.closure_reason.label}"))
    out(Text("\nPeople", style="bold"))
    for p in detail.parties:
        flag = " (vulnerable)" if p.vulnerable else ""
        out(Text(f"  {p.role.label}: {one_line(p.name)}{flag}  {one_line(p.address)}"))
    out(Text(f"\nIncidents ({len(detail.incidents)})", style="bold"))
    for i in detail.incidents:
        crime = f" crime ref {one_line(i.crime_ref)}" if i.crime_ref else ""
        out(Text(f"  {format_datetime(i.occurred_at)}  {i.channel.label}  "
                 f"{i.incident_type.label}: {one_line(i.description)}{crime}"))
    if detail.notes:
        out(Text("\nPartner notes", style="bold"))
        for n in detail.notes:
            out(Text(f"  {format_date(n.written_at)} {one_line(n.agency)} ({one_line(n.author)}): "
                     f"{one_line(n.text)}"))
    if actions:
        out(Text("\nEnforcement actions", style="bold"))
        for a in actions:
            out(Text(f"  {a.power.label} ({one_line(a.concerns)}): {a.stage_label}"
                     + (" [ended]" if a.closed else "")))
            for step in a.steps:
                ends = f", until {format_datetime(step.ends_at)}" if step.ends_at else ""
                who = f" by {step.authority.label.lower()}" if step.authority else ""
                out(Text(f"    {format_datetime(step.occurred_at)}  {step.label}{who}{ends}"))
    open_deadlines = [d for d in deadlines if d.status.value == "open"]
    if open_deadlines:
        out(Text("\nOpen deadlines", style="bold"))
        for d in open_deadlines:
            out(Text(f"  {format_datetime(d.due_at)}  {d.label} ({d.source})"))


def _deadline_json(d: Any) -> dict[str, Any]:
    return {"id": d.id, "ref": d.case_ref, "district": d.district, "kind": d.kind,
            "label": d.label, "source": d.source, "due": d.due_at, "status": d.status,
            "power": d.power, "pspo": d.pspo_title, "resolution": d.resolution or None}


def _time_left(delta: Any) -> str:
    minutes = int(delta.total_seconds() // 60)
    sign, minutes = ("overdue by " if minutes < 0 else ""), abs(minutes)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    text = f"{days}d {hours}h" if days else f"{hours}h {mins:02d}m"
    return sign + text


@app.command()
def deadlines(
    ctx: typer.Context,
    days: Annotated[int, typer.Option(min=0, max=3650, help="Due within this many days.")] = 14,
    district: Annotated[str | None, typer.Option(
        help="District code or name (default: every district).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Statutory and review deadlines due within DAYS, overdue ones first."""
    from asbtui.dates import utc_now
    from asbtui.services import cases, enforcement

    where = cases.parse_district(district) if district else None
    now = utc_now()
    with _open(ctx) as store:
        rows = enforcement.upcoming_deadlines(store, district=where, days=days, now=now)
    if as_json:
        _print_json([_deadline_json(d) | {"overdue": d.overdue(now),
                                          "minutes_left": int(d.time_left(now).total_seconds()
                                                              // 60)} for d in rows])
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for heading in ("Due", "Time left", "Case", "Deadline", "Law"):
        table.add_column(heading, no_wrap=True)
    for d in rows:
        style = "bold red" if d.overdue(now) else "yellow" if d.time_left(now).days < 2 else ""
        table.add_row(Text(format_datetime(d.due_at), style=style),
                      Text(_time_left(d.time_left(now)), style=style),
                      Text(d.case_ref or one_line(d.pspo_title) or ""), Text(one_line(d.label)),
                      Text(d.source))
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=200)
    console.print(table)
    overdue = sum(d.overdue(now) for d in rows)
    console.print(f"{len(rows):,} due within {days} days ({overdue:,} overdue)")


pspo_app = typer.Typer(cls=AsbGroup, add_completion=False, rich_markup_mode=None,
                       help="The register of Public Spaces Protection Orders.",
                       no_args_is_help=True)
app.add_typer(pspo_app, name="pspo")


@pspo_app.command("list")
def pspo_list(
    ctx: typer.Context,
    district: Annotated[str | None, typer.Option(help="District code or name.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """PSPOs with their areas, prohibitions, expiry and breaches."""
    from asbtui.services import cases, enforcement

    where = cases.parse_district(district) if district else None
    with _open(ctx) as store:
        rows = enforcement.pspo_register(store, where)
    if as_json:
        _print_json([asdict(p) for p in rows])
        return
    for p in rows:
        print(f"{p.district.value}  {one_line(p.title)}  {format_date(p.made_on)} to "
              f"{format_date(p.expires_on)}  breaches: {p.breaches}")
        print(f"     area: {one_line(p.area)}")
        print(f"     prohibits: {one_line(p.prohibitions)}")


# ---------------------------------------------------------------------------- db


@db_app.command("check")
def db_check(ctx: typer.Context) -> None:
    """Check the store's integrity; exit 1 if anything is wrong."""
    from asbtui import db

    with _open(ctx) as store:
        problems = db.check(store)
    if problems:
        for problem in problems[:20]:
            print(f"asbtui: {problem}", file=sys.stderr)
        raise StoreError(f"The store {store.path} has {len(problems)} problem(s); restore a backup.")
    print(f"{store.path}: sound (integrity and foreign keys checked).")


@db_app.command("backup")
def db_backup(
    ctx: typer.Context,
    target: Annotated[Path, typer.Argument(help="A new file to write the backup to.")],
) -> None:
    """Copy the store to a new file while it stays in use."""
    from asbtui import db

    with _open(ctx) as store:
        written = db.backup(store.path, target)
    print(f"Backed up {store.path} to {written}.")


@db_app.command("migrate")
def db_migrate(ctx: typer.Context) -> None:
    """Bring the store's schema up to date (a backup is made first)."""
    with _open(ctx) as store:
        print(f"{store.path}: schema is up to date.")


def main() -> None:
    """Console entry point."""
    app()
