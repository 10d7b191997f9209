"""``asbtui audit``: verify the hash-chained audit log, read a case's audit, recent events."""

from __future__ import annotations

import sys
from typing import Annotated, Any

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
    sign_in_for,
    store_key,
    sub_app,
    table_console,
)
from asbtui.dates import format_datetime
from asbtui.literal import one_line

audit_app = sub_app("The tamper-evident audit log (DPA 2018 s62).")
app.add_typer(audit_app, name="audit")


def _chain_report(ctx: typer.Context, expect: str | None) -> Any:
    """The chain checked, its head as it was before this command's own sign-in event."""
    from asbtui.db import open_store
    from asbtui.services import audit

    anchor = audit.parse_anchor(expect) if expect is not None else None
    path = context(ctx).db
    with open_store(path, key=store_key(path)) as store:
        before = audit.last_seq(store)
        sign_in_for(ctx, store)
        return audit.verify(store, upto=before or None, expect=anchor)


@audit_app.command("verify")
def audit_verify(
    ctx: typer.Context,
    expect: Annotated[str | None, typer.Option(
        "--expect", metavar="SEQ:HASH",
        help="A head kept elsewhere (from 'audit head'): it must still be in the chain.",
        show_default=False)] = None,
    central: Annotated[bool, typer.Option(
        "--central", help="Also compare the log with the copy the central store holds.")]
    = False,
) -> None:
    """Check every link of the audit chain; exit 1 naming the first broken link, if any.

    Keep the head it prints somewhere else and give it back with --expect: a chain cut
    short or rewritten in full can only be caught against a head recorded before.
    """
    report = _chain_report(ctx, expect)
    if not report.intact:
        intact = (f" (rows 1 to {report.head_seq} are intact)"
                  if report.broken_seq is not None else "")
        print(f"asbtui: {report.headline}: {report.problem}{intact}.", file=sys.stderr)
        raise typer.Exit(1)
    anchored = f"; the anchor row {expect.split(':')[0]} is in it" if expect else ""
    print(f"Audit log intact: {report.rows:,} rows checked{anchored}; head row "
          f"{report.head_seq}, hash {report.head_hash}.")
    if central:
        from asbtui.cli.sync import verify_central

        verify_central(ctx)


@audit_app.command("head")
def audit_head(
    ctx: typer.Context,
    as_json: JsonFlag = False,
) -> None:
    """The chain's head (row and hash) to keep elsewhere, checked first; no event added."""
    report = _chain_report(ctx, None)
    if not report.intact:
        print(f"asbtui: {report.headline}: {report.problem}.", file=sys.stderr)
        raise typer.Exit(1)
    if as_json:
        print_json({"seq": report.head_seq, "hash": report.head_hash,
                    "anchor": report.anchor})
        return
    print(report.anchor)


def entry_json(e: Any) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "at": e.at,
        "actor": e.actor,
        "role": e.role,
        "action": e.action,
        "record_type": e.record_type,
        "record_id": e.record_id or None,
        "ref": e.case_ref or None,
        "detail": e.detail or None,
        "justification": e.justification or None,
    }


def _print_entries(entries: list[Any]) -> None:
    table = Table(box=None, pad_edge=False, header_style="bold")
    for heading in ("Seq", "When", "Who", "Role", "Action", "Record", "Case"):
        table.add_column(heading, no_wrap=True)
    table.add_column("Detail and reason", overflow="ellipsis", no_wrap=True)
    for e in entries:
        why = f" (reason: {e.justification})" if e.justification else ""
        table.add_row(str(e.seq), format_datetime(e.at), Text(one_line(e.actor)), e.role,
                      e.action, e.record_type, e.case_ref, Text(one_line(e.detail + why)))
    console = table_console()
    console.print(table)
    console.print(f"{len(entries):,} events, newest first")


@audit_app.command("show")
def audit_show(
    ctx: typer.Context,
    ref: CaseRef,
    as_json: JsonFlag = False,
) -> None:
    """The audit of one case: every view, change, disclosure and export, newest first."""
    from asbtui.services import audit

    with open_store_for(ctx) as store:
        entries = audit.case_audit(store, ref)
    if as_json:
        print_json([entry_json(e) for e in entries])
        return
    _print_entries(entries)


@audit_app.command("recent")
def audit_recent(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="At most this many.")] = 50,
    user: Annotated[str | None, typer.Option("--user", help="Only this user's events.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """The newest events of the whole store."""
    from asbtui.services import audit

    with open_store_for(ctx) as store:
        entries = audit.recent(store, limit=limit, actor_name=user)
    if as_json:
        print_json([entry_json(e) for e in entries])
        return
    _print_entries(entries)
