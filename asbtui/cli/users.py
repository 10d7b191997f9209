"""``asbtui user`` and ``asbtui agency``: who signs in, and the partner agency register."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from asbtui.cli.base import (
    JsonFlag,
    app,
    choices,
    new_pin,
    open_store_for,
    print_json,
    sub_app,
    table_console,
)
from asbtui.dates import format_datetime
from asbtui.literal import one_line
from asbtui.models import AgencyKind, Role

user_app = sub_app("Users: add them, list them, unlock, disable and enable them, change PINs.")
app.add_typer(user_app, name="user")
agency_app = sub_app("The register of partner agencies and their information sharing agreements.")
app.add_typer(agency_app, name="agency")


def user_json(u: Any) -> dict[str, Any]:
    return {
        "username": u.username,
        "full_name": u.full_name or None,
        "role": u.role,
        "districts": [d.value for d in u.districts],
        "agency": u.agency or None,
        "collar": u.collar or None,
        "active": u.active,
        "locked_until": u.locked_until,
    }


def _user_line(u: Any) -> str:
    where = ", ".join(d.value for d in u.districts) or u.agency or "-"
    return f"{u.username} ({u.role.value}, {where})"


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The sign-in name, e.g. pc.smith.")],
    role: Annotated[str, typer.Option(help=f"One of: {choices(Role)}.")],
    district: Annotated[
        list[str] | None,
        typer.Option(help="District code (officers one, supervisors one or more: repeat it)."),
    ] = None,
    agency: Annotated[str | None, typer.Option(help="A partner user's agency.")] = None,
    full_name: Annotated[str, typer.Option(help="The person's full name.")] = "",
    collar: Annotated[
        str | None, typer.Option(help="An officer's collar number, e.g. 'PC 1234'.")
    ] = None,
) -> None:
    """Add a user; the PIN is typed twice (hidden), or read from ASBTUI_NEW_PIN.

    The first user of a store may be added by whoever holds it; after that, only an admin.
    """
    from asbtui.services import users

    with open_store_for(ctx) as store:
        pin = new_pin(f"PIN for {name.strip()}")
        view = users.add_user(store, name, role, pin, full_name=full_name,
                              districts=district or (), agency=agency, collar=collar)
    print(f"Added {_user_line(view)}.")


@user_app.command("list")
def user_list(
    ctx: typer.Context,
    as_json: JsonFlag = False,
) -> None:
    """List the users (admins only)."""
    from asbtui.services import users

    with open_store_for(ctx) as store:
        rows = users.users(store)
    if as_json:
        print_json([user_json(u) for u in rows])
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for heading in ("User", "Role", "Districts or agency", "Collar", "State"):
        table.add_column(heading, no_wrap=True)
    table.add_column("Name", overflow="ellipsis", no_wrap=True)
    for u in rows:
        state = "active" if u.active else "disabled"
        if u.locked_until is not None:
            state += f", locked until {format_datetime(u.locked_until)}"
        table.add_row(u.username, u.role.value,
                      Text(one_line(", ".join(d.value for d in u.districts) or u.agency)),
                      u.collar, state, Text(one_line(u.full_name)))
    console = table_console()
    console.print(table)
    console.print(f"{len(rows):,} users")


@user_app.command("unlock")
def user_unlock(ctx: typer.Context, name: Annotated[str, typer.Argument()]) -> None:
    """Unlock an account locked after wrong PINs."""
    from asbtui.services import users

    with open_store_for(ctx) as store:
        view = users.unlock(store, name)
    print(f"Unlocked {view.username}.")


@user_app.command("disable")
def user_disable(ctx: typer.Context, name: Annotated[str, typer.Argument()]) -> None:
    """Disable an account: it can no longer sign in (its history stays)."""
    from asbtui.services import users

    with open_store_for(ctx) as store:
        view = users.set_active(store, name, False)
    print(f"Disabled {view.username}.")


@user_app.command("enable")
def user_enable(ctx: typer.Context, name: Annotated[str, typer.Argument()]) -> None:
    """Enable a disabled account again."""
    from asbtui.services import users

    with open_store_for(ctx) as store:
        view = users.set_active(store, name, True)
    print(f"Enabled {view.username}.")


@user_app.command("pin")
def user_pin(ctx: typer.Context, name: Annotated[str, typer.Argument()]) -> None:
    """Change a PIN (your own, or anyone's as an admin): typed twice, or ASBTUI_NEW_PIN."""
    from asbtui.services import users

    with open_store_for(ctx) as store:
        users.set_pin(store, name, new_pin(f"New PIN for {name.strip()}"))
    print(f"PIN changed for {name.strip().lower()}.")


# ---------------------------------------------------------------------------- agencies


def agency_json(a: Any) -> dict[str, Any]:
    return {
        "name": a.name,
        "kind": a.kind,
        "district": a.district,
        "isa_ref": a.isa_ref,
        "contact_name": a.contact_name or None,
        "contact_email": a.contact_email or None,
        "contact_phone": a.contact_phone or None,
        "active": a.active,
    }


@agency_app.command("add")
def agency_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The agency's name.")],
    kind: Annotated[str, typer.Option(help=f"One of: {choices(AgencyKind)}.")],
    isa: Annotated[
        str, typer.Option("--isa", help="Reference of the information sharing agreement.")
    ],
    district: Annotated[
        str | None, typer.Option(help="Its district, if it serves only one.")
    ] = None,
    contact_name: Annotated[str, typer.Option(help="Contact's name.")] = "",
    contact_email: Annotated[str, typer.Option(help="Contact's email.")] = "",
    contact_phone: Annotated[str, typer.Option(help="Contact's phone.")] = "",
) -> None:
    """Register a partner agency (admins only)."""
    from asbtui.services import partners

    with open_store_for(ctx) as store:
        view = partners.add_agency(store, name, kind, isa, district=district,
                                   contact_name=contact_name, contact_email=contact_email,
                                   contact_phone=contact_phone)
    print(f"Added {view.name} ({view.kind.label.lower()}, ISA {view.isa_ref}).")


@agency_app.command("list")
def agency_list(
    ctx: typer.Context,
    district: Annotated[
        str | None, typer.Option(help="Only this district's agencies (and force-wide ones).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """List the partner agencies, by name."""
    from asbtui.services import partners
    from asbtui.services.cases import parse_district

    where = parse_district(district) if district else None
    with open_store_for(ctx) as store:
        rows = partners.agencies(store, where)
    if as_json:
        print_json([agency_json(a) for a in rows])
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for heading in ("Agency", "Kind", "District", "ISA"):
        table.add_column(heading, no_wrap=True)
    table.add_column("Contact", overflow="ellipsis", no_wrap=True)
    for a in rows:
        contact = ", ".join(x for x in (a.contact_name, a.contact_email, a.contact_phone) if x)
        table.add_row(Text(one_line(a.name)), a.kind.label,
                      a.district.value if a.district else "all", Text(one_line(a.isa_ref)),
                      Text(one_line(contact)))
    console = table_console()
    console.print(table)
    console.print(f"{len(rows):,} agencies")
