"""``asbtui server``, ``asbtui sync`` and ``asbtui conflicts``: the central store and sync."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from asbtui.cli.base import AsbGroup, app, context, print_json, sign_in_for, sub_app
from asbtui.errors import AsbError, InvalidInput
from asbtui.literal import plural

CentralOption = Annotated[
    str,
    typer.Option("--central", envvar="ASBTUI_CENTRAL_URL", show_default=False,
                 help="The central PostgreSQL store, postgresql://... (ASBTUI_CENTRAL_URL)."),
]


def _central(call: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a central-store call, its refusals turned into our one-line errors."""
    from asbtui.server.central import CentralError

    try:
        return call(*args, **kwargs)
    except CentralError as error:
        raise AsbError(str(error)) from None


# --- asbtui server ----------------------------------------------------------------------------

server_app = typer.Typer(cls=AsbGroup, add_completion=False, rich_markup_mode=None,
                         invoke_without_command=True,
                         help="The central sync service and its PostgreSQL store.")
app.add_typer(server_app, name="server")


@server_app.callback()
def server(
    ctx: typer.Context,
    central: CentralOption = "",
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8765,
) -> None:
    """Serve the central store to enrolled devices (until Ctrl+C)."""
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from asbtui.server.app import create_app
    from asbtui.server.schema import connect, require_current

    with _central(connect, central) as conn:
        _central(require_current, conn)
    print(f"asbtui sync service on http://{host}:{port} (Ctrl+C stops it)", file=sys.stderr)
    uvicorn.run(_central(create_app, central), host=host, port=port, log_level="warning")


@server_app.command("migrate")
def server_migrate(central: CentralOption = "") -> None:
    """Create or upgrade the central store's schema (safe to run again)."""
    from asbtui.server.schema import migrate

    before, head = _central(migrate, central)
    print("The central store is up to date." if before == head
          else f"The central store was migrated from {before or 'nothing'} to {head}.")


@server_app.command("demo")
def server_demo(
    central: CentralOption = "",
    cases: Annotated[int, typer.Option("--cases", min=1, help="How many cases.")] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 1,
) -> None:
    """Fill a new central store with the synthetic Kent force and the demo users."""
    import tempfile
    from pathlib import Path

    from asbtui.server import central as server_central
    from asbtui.server.bulk import bulk_load
    from asbtui.server.schema import connect, migrate
    from asbtui.services.demo import DEMO_USERS
    from asbtui.sync.snapshot import build_demo_rows

    _central(migrate, central)
    with _central(connect, central) as conn:
        if not server_central.is_empty(conn):
            raise AsbError("The central store already holds records; use a new database "
                           "for the demo.")
        with tempfile.TemporaryDirectory() as folder:
            tables = build_demo_rows(Path(folder) / "demo.db", cases, seed)
            count = _central(bulk_load, conn, tables)
    print(f"The central store holds the demo force: {count:,} records ({cases:,} cases).")
    print("Demo users (user, role, PIN): " + "; ".join(
        f"{name} {role} {pin}" for name, role, pin, _d, _a in DEMO_USERS))


@server_app.command("enrol-device")
def server_enrol_device(
    name: Annotated[str, typer.Argument(help="A name for the device, e.g. 'Patrol car 12'.")],
    central: CentralOption = "",
    districts: Annotated[str, typer.Option(
        "--districts", help="Limit the device to these districts (codes, comma-separated).")]
    = "",
    owned: Annotated[bool, typer.Option(
        "--owned/--no-owned", help="Also hold the cases its officers own in other districts "
        "(the default for a patrol device).")] = True,
) -> None:
    """Register a device; prints a one-time code (the last word of the last line)."""
    from asbtui.server import central as server_central
    from asbtui.server.schema import connect, require_current

    codes = [d.strip().upper() for d in districts.split(",") if d.strip()]
    from asbtui.models import District

    unknown = [d for d in codes if d not in District.__members__]
    if unknown:
        raise InvalidInput(f"Unknown district {unknown[0]}: give codes such as THA, MED.")
    with _central(connect, central) as conn:
        _central(require_current, conn)
        code = _central(server_central.enrol_device, conn, name, ",".join(codes), owned)
    print(f"Device {' '.join(name.split())!r} registered. On the device run: "
          "asbtui sync enrol URL CODE")
    print(f"One-time enrolment code: {code}")


@server_app.command("revoke-device")
def server_revoke_device(
    name: Annotated[str, typer.Argument(help="The device's name.")],
    central: CentralOption = "",
) -> None:
    """Refuse every further request from a lost or retired device."""
    from asbtui.server import central as server_central
    from asbtui.server.schema import connect, require_current

    with _central(connect, central) as conn:
        _central(require_current, conn)
        _central(server_central.revoke_device, conn, name)
    print(f"Device {name!r} revoked: its requests are refused from now on.")


# --- asbtui sync --------------------------------------------------------------------------------

sync_app = typer.Typer(cls=AsbGroup, add_completion=False, rich_markup_mode=None,
                       invoke_without_command=True,
                       help="Push this device's changes to the central store and pull others'.")
app.add_typer(sync_app, name="sync")


def _device_store(ctx: typer.Context, *, create: bool = False):  # noqa: ANN202
    from asbtui.cli.base import store_key
    from asbtui.db import open_store

    path = context(ctx).db
    return open_store(path, create=create, key=store_key(path))


def _sync_user(ctx: typer.Context, store: Any) -> tuple[str, str | None]:
    """The user this sync runs as, signed in here; on a device with no users yet (its
    first sync), the user named and their PIN, for the central store to check."""
    import os

    from asbtui.cli.base import PIN_ENV, ask_secret
    from asbtui.services.access import has_users
    from asbtui.sync.engine import credentials

    credentials(store)  # not enrolled: say so before asking anyone for a PIN
    name = (context(ctx).user or "").strip()
    if has_users(store):
        sign_in_for(ctx, store)
        if store.actor is None:
            raise AsbError("Sign in to sync: give --user NAME (ASBTUI_USER) and the PIN.")
        return str(store.actor.username), None
    if not name:
        raise AsbError("Name the user this device first syncs as: --user NAME "
                       "(ASBTUI_USER).")
    pin = os.environ.get(PIN_ENV)
    if pin is None:
        pin = ask_secret(f"PIN for {name}", f"set {PIN_ENV} or run in a terminal")
    return name, pin


def transport_for(store: Any, who: tuple[str, str | None]) -> Any:
    from asbtui.sync.engine import credentials
    from asbtui.sync.transport import HttpTransport

    url, key = credentials(store)
    return HttpTransport(url, key, who[0], pin=who[1])


def _when(instant: str | None) -> str:
    """An ISO instant as the app shows times: DD/MM/YYYY HH:MM, Europe/London."""
    from datetime import datetime

    from asbtui.dates import format_datetime

    if not instant:
        return "never"
    try:
        return format_datetime(datetime.fromisoformat(instant))
    except ValueError:
        return instant


@sync_app.callback()
def sync(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Push local changes, pull the changes of this user's scopes, report what moved."""
    if ctx.invoked_subcommand is not None:
        return
    from asbtui.sync import engine

    with _device_store(ctx) as store:
        user = _sync_user(ctx, store)
        transport = transport_for(store, user)
        try:
            report = engine.sync(store, transport)
        finally:
            transport.close()
    if as_json:
        print_json({"pushed": report.pushed, "skipped": report.skipped,
                    "pulled": report.pulled, "removed": report.removed,
                    "conflicts": report.conflicts, "refused": report.refused,
                    "scopes": report.scopes,
                    "last_sync": report.last_sync, "pending": report.pending})
        return
    print(f"Pushed {plural(report.pushed, 'change')}, pulled {report.pulled:,}"
          + (f", removed {plural(report.removed, 'case')} no longer shared"
             if report.removed else "")
          + f"; last good sync {_when(report.last_sync)}.")
    for conflict in report.conflicts:
        print(f"Conflict {conflict['id']}: {conflict['table']} {conflict.get('ref') or ''} "
              f"field {conflict['field']} was changed on the central store too; its value was "
              "kept and a supervisor will settle it.")
    for refused in report.refused:
        print(_refusal_line(refused))
    if report.refused:
        print(f"The central store refused {plural(len(report.refused), 'change')} your role or "
              "districts do not allow; its own records stand (asbtui sync refusals lists "
              "them; the district's supervisor sees them too).")


def _refusal_line(row: dict[str, Any]) -> str:
    what = f"{row['table']} {row.get('ref') or row['key'][:8]}"
    done = ("the central version was put back here" if row.get("outcome") == "put back"
            else "removed from this device (the central store never had it)")
    return f"Refused: {what}: outside your role or districts; {done}."


@sync_app.command("refusals")
def sync_refusals(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Changes the central store refused: a supervisor's districts', else this device's."""
    from asbtui.literal import one_line

    rows = _ask(ctx, "/v1/refusals", {})
    if as_json:
        print_json(rows)
        return
    if not rows:
        print("No refused changes.")
        return
    for row in rows:
        print(f"{row['id']:>5}  {_when(row['refused_at'])}  {one_line(row['device_user'])}  "
              + one_line(_refusal_line(row)))


@sync_app.command("enrol")
def sync_enrol(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="The sync service, e.g. http://10.0.0.5:8765.")],
    code: Annotated[str, typer.Argument(help="The one-time code from asbtui server "
                                             "enrol-device.")],
    plain: Annotated[bool, typer.Option(
        "--plain", help="Make a new store unencrypted (not for real data: a lost device "
        "would give up every case it holds).")] = False,
) -> None:
    """Enrol this device (a new, empty store) with the central sync service.

    A new store is encrypted, with the key from ASBTUI_KEY or typed twice without echo:
    a patrol device is the one most likely to be lost.
    """
    from asbtui.cli.base import new_store_key
    from asbtui.db import open_store
    from asbtui.sync import engine
    from asbtui.sync.transport import HttpTransport

    if not url.startswith(("http://", "https://")):
        raise InvalidInput(f"{url} is not a web address: give http://HOST:PORT.")
    path = context(ctx).db.expanduser()
    if path.exists():
        opened = _device_store(ctx)
    else:
        opened = open_store(path, create=True, key=None if plain else new_store_key(path))
    with opened as store:
        transport = HttpTransport(url)
        try:
            name = engine.enrol(store, url, code, transport)
        finally:
            transport.close()
    print(f"This device is enrolled as {name!r}. Sync with: asbtui --user NAME sync")


@sync_app.command("status")
def sync_status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Where this device syncs to, when it last synced, how many changes wait to go."""
    from asbtui.sync import engine

    with _device_store(ctx) as store:
        state = engine.status(store)
    if as_json:
        print_json({"enrolled": state.enrolled, "url": state.url or None,
                    "device": state.device_name or None, "last_sync": state.last_sync,
                    "pending": state.pending})
        return
    if not state.enrolled:
        print("This device is not enrolled with a central store.")
        return
    print(f"Device {state.device_name!r} syncs with {state.url}; last good sync "
          f"{_when(state.last_sync)}; {plural(state.pending, 'change')} waiting.")


def verify_central(ctx: typer.Context) -> None:
    """``audit verify --central``: this device's log against the central copy."""
    from asbtui.services.access import Permission, require
    from asbtui.sync import engine

    with _device_store(ctx) as store:
        user = _sync_user(ctx, store)
        require(store, Permission.READ_AUDIT)
        transport = transport_for(store, user)
        try:
            check = engine.verify_against_central(store, transport)
        finally:
            transport.close()
    if check.problem:
        print(f"asbtui: the audit log does not match the central store: {check.problem} "
              f"({check.checked:,} rows matched before it).", file=sys.stderr)
        raise typer.Exit(1)
    print(f"Matches the central store: {check.checked:,} rows held centrally are the same here.")


# --- asbtui conflicts ---------------------------------------------------------------------------

conflicts_app = sub_app("Concurrent edits the central store kept apart, for supervisors.")
app.add_typer(conflicts_app, name="conflicts")


def _ask(ctx: typer.Context, path: str, body: dict[str, Any]) -> Any:
    with _device_store(ctx) as store:
        user = _sync_user(ctx, store)
        transport = transport_for(store, user)
        try:
            return transport.post(path, body)
        finally:
            transport.close()


def _value(value: Any) -> str:
    return "(empty)" if value is None or value == "" else str(value)


@conflicts_app.command("list")
def conflicts_list(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="Settled ones too.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Open conflicts in your districts."""
    from asbtui.literal import one_line

    rows = _ask(ctx, "/v1/conflicts", {"all": all_})
    if as_json:
        print_json(rows)
        return
    if not rows:
        print("No open conflicts.")
        return
    for row in rows:
        state = "settled" if row["resolved_at"] else "open"
        print(f"{row['id']:>5}  {state:<7} {row['ref'] or row['table']:<14} {row['field']:<14} "
              f"central {one_line(_value(row['server_value']))} ({row['server_user']}) / "
              f"device {one_line(_value(row['device_value']))} ({row['device_user']})")


@conflicts_app.command("show")
def conflicts_show(
    ctx: typer.Context,
    conflict_id: Annotated[int, typer.Argument(help="The conflict's number.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """One conflict: both values, who made each and when."""
    from asbtui.literal import one_line

    row = _ask(ctx, f"/v1/conflicts/{conflict_id}", {})
    if as_json:
        print_json(row)
        return
    print(f"Conflict {row['id']} on {row['table']} {row['ref'] or row['key']}, field "
          f"{row['field']} ({'settled' if row['resolved_at'] else 'open'})")
    print(f"  central: {one_line(_value(row['server_value']))} by {row['server_user']} "
          f"at {_when(row['server_at'])}")
    print(f"  device:  {one_line(_value(row['device_value']))} by {row['device_user']} "
          f"at {_when(row['device_at'])}")
    if row["resolved_at"]:
        print(f"  settled: {one_line(_value(row['resolution']))} by {row['resolved_by']} at "
              f"{_when(row['resolved_at'])}")


def _typed(text: str) -> Any:
    """A typed value as the store holds it: numbers and null as such, anything else text."""
    import json

    try:
        parsed = json.loads(text)
    except ValueError:
        return text
    return parsed if parsed is None or isinstance(parsed, int | float) else text


@conflicts_app.command("resolve")
def conflicts_resolve(
    ctx: typer.Context,
    conflict_id: Annotated[int, typer.Argument(help="The conflict's number.")],
    keep: Annotated[str, typer.Option("--keep", help="central or device.")] = "",
    value: Annotated[str | None, typer.Option("--value", help="A value of your own.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Settle a conflict by keeping one value or giving your own; it syncs as a change."""
    if (keep == "") == (value is None):
        raise InvalidInput("Give either --keep central|device or --value VALUE.")
    if keep and keep not in ("central", "device"):
        raise InvalidInput("--keep takes central or device.")
    from asbtui.sync import engine

    with _device_store(ctx) as store:
        user = _sync_user(ctx, store)
        transport = transport_for(store, user)
        try:
            row = transport.post(f"/v1/conflicts/{conflict_id}", {})
            chosen = _typed(value) if value is not None else row[
                "server_value" if keep == "central" else "device_value"]
            settled = engine.settle_conflict(store, transport, conflict_id, chosen)
        finally:
            transport.close()
    if as_json:
        print_json(settled)
        return
    print(f"Conflict {conflict_id} settled: {row['field']} is now {_value(chosen)}; "
          "every device takes it at its next sync.")
