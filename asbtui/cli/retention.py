"""``asbtui retention``: closed cases due for a personal data review; keep or erase them."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

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
from asbtui.dates import format_date, parse_date
from asbtui.errors import InvalidInput
from asbtui.literal import one_line

retention_app = sub_app(
    "Personal data review: closed cases past the review period (ASBTUI_RETENTION_REVIEW_MONTHS)."
)
app.add_typer(retention_app, name="retention")


@retention_app.command("list")
def retention_list(
    ctx: typer.Context,
    as_json: JsonFlag = False,
) -> None:
    """Closed cases due for review, longest closed first (no personal data is shown)."""
    from asbtui.services import retention

    months = context(ctx).settings.retention_review_months
    with open_store_for(ctx) as store:
        rows = retention.due_for_review(store, review_months=months)
    if as_json:
        print_json([{"ref": r.ref, "district": r.district, "category": r.category,
                     "closed": r.closed_on, "closure_reason": r.closure_reason,
                     "retain_until": r.retain_until, "incidents": r.incidents} for r in rows])
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for heading in ("Ref", "District", "Category", "Closed", "Reason", "Kept until",
                    "Incidents"):
        table.add_column(heading, no_wrap=True)
    for r in rows:
        table.add_row(r.ref, r.district.value, r.category.label, format_date(r.closed_on),
                      r.closure_reason.label if r.closure_reason else "",
                      format_date(r.retain_until), str(r.incidents))
    console = table_console()
    console.print(table)
    console.print(f"{len(rows):,} closed cases due for review (closed over {months} months "
                  "ago): keep each for a reason, or erase its personal data")


@retention_app.command("keep")
def retention_keep(
    ctx: typer.Context,
    ref: CaseRef,
    until: Annotated[str, typer.Option(help="Keep it until this date, DD/MM/YYYY.")],
    reason: Annotated[str, typer.Option(help="Why it is kept (audited).")],
) -> None:
    """Keep a closed case's personal data until a date (at most one review period ahead)."""
    from asbtui.services import retention

    day = parse_date(until, field="until")
    months = context(ctx).settings.retention_review_months
    with open_store_for(ctx) as store:
        kept = retention.keep(store, ref, day, reason, review_months=months)
    print(f"{ref.strip().upper()} kept until {format_date(kept)}.")


@retention_app.command("erase")
def retention_erase(
    ctx: typer.Context,
    ref: CaseRef,
    reason: Annotated[str, typer.Option(help="Why it is erased (audited).")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Really erase: this cannot be undone.")
    ] = False,
) -> None:
    """Erase the personal data of a case due for review. Needs --yes: it cannot be undone."""
    from asbtui.services import retention

    months = context(ctx).settings.retention_review_months
    with open_store_for(ctx) as store:
        if not yes:
            preview = retention.erasure_preview(store, ref, review_months=months)
            copies = f" {preview.copies_note()}." if preview.copies else ""
            raise InvalidInput(f"Erasing {preview.ref} would blank {preview.describe()}; "
                               f"it cannot be undone. Run again with --yes to erase it.{copies}")
        erased = retention.erase(store, ref, reason, review_months=months)
    print(f"Erased the personal data of {erased.ref}: {erased.describe()}.")
    for copy in erased.copies:
        print(f"Still holds this case (destroy it too): {one_line(copy)}")
