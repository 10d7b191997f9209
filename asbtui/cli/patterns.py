"""``asbtui patterns``: repeat locations, victims and perpetrators, and hotspots."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from asbtui.cli.base import JsonFlag, app, context, open_store_for, print_json, table_console
from asbtui.literal import one_line


@app.command()
def patterns(
    ctx: typer.Context,
    district: Annotated[str | None, typer.Option(help="District code or name.")] = None,
    across_cases: Annotated[bool, typer.Option(
        "--across-cases", help="Only patterns that span two or more cases.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Repeat locations, victims and perpetrators, and hotspots."""
    from asbtui.services import patterns as service
    from asbtui.services.cases import parse_district

    where = parse_district(district) if district else None
    rules = context(ctx).settings.pattern_rules(min_cases=2 if across_cases else 1)
    with open_store_for(ctx) as store:
        found = service.patterns(store, district=where, rules=rules)
    if as_json:
        print_json([asdict(p) | {"kind_label": p.kind.label} for p in found])
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for heading in ("Pattern", "District", "Where or who", "Reports", "Usual", "Cases"):
        table.add_column(heading, no_wrap=True)
    for p in found:
        refs = ", ".join(p.case_refs[:4]) + (f" +{len(p.case_refs) - 4}" if len(p.case_refs) > 4
                                             else "")
        imported = f" ({p.imported_reports} police.uk)" if p.imported_reports else ""
        table.add_row(p.kind.label, p.district.value, Text(one_line(p.label, 40)),
                      f"{p.reports}{imported}", "" if p.usual is None else f"{p.usual:g}",
                      refs)
    console = table_console()
    console.print(table)
    console.print(f"{len(found):,} patterns (thresholds: {rules.repeat_min_reports}+ reports in "
                  f"{rules.window_months} months; hotspots {rules.hotspot_factor:g}x usual)")
