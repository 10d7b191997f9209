"""``asbtui import``: bring published data into the store (data.police.uk street-level CSV)."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from asbtui.cli.base import app, open_store_for, print_json, sub_app
from asbtui.errors import InvalidInput
from asbtui.literal import one_line

if TYPE_CHECKING:
    from asbtui.services.importer import ImportReport

MALFORMED_SHOWN = 20

import_app = sub_app("Import published data into the store.")
app.add_typer(import_app, name="import")


def report_json(report: ImportReport) -> dict[str, Any]:
    data = asdict(report)
    data["malformed"] = [{"line": line, "reason": reason} for line, reason in report.malformed]
    return data


def print_report(report: ImportReport) -> None:
    print(one_line(report.file))
    for label, count in (
        ("rows read", report.rows),
        ("ASB rows", report.asb),
        ("added", report.added),
        ("already imported", report.already_imported),
        ("other crime types skipped", report.other_crime_types),
        ("outside Kent", report.outside_kent),
        ("no location (no district)", report.no_location),
        ("malformed", len(report.malformed)),
    ):
        print(f"  {label + ':':<27}{count:>10,}")
    for line, reason in report.malformed[:MALFORMED_SHOWN]:
        print(f"    line {line}: {one_line(reason)}")
    if len(report.malformed) > MALFORMED_SHOWN:
        print(f"    and {len(report.malformed) - MALFORMED_SHOWN:,} more")


def _import_one(store: Any, path: Path, err: Console) -> ImportReport:
    from asbtui.services.importer import import_police_uk

    if not err.is_terminal:
        return import_police_uk(store, path)
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(one_line(path.name, 40), total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or None)

        return import_police_uk(store, path, progress=progress)


@import_app.command("police-uk")
def police_uk(
    ctx: typer.Context,
    files: Annotated[
        list[Path],
        typer.Argument(
            help="data.police.uk street-level CSV files (e.g. 2025-04-kent-street.csv).",
            show_default=False,
            metavar="FILE.csv",
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the reports as JSON.")] = False,
) -> None:
    """Import the anti-social behaviour rows of data.police.uk street-level CSV files.

    Rows in Kent are added once: importing a file again adds nothing. Other crime types
    and rows outside Kent are counted and skipped; malformed rows are listed by line.
    """
    err = Console(stderr=True, highlight=False)
    reports: list[ImportReport] = []
    failures: list[str] = []
    with open_store_for(ctx) as store:
        for path in files:
            try:
                report = _import_one(store, path, err)
            except InvalidInput as error:
                failures.append(str(error))
                continue
            reports.append(report)
            if not as_json:
                print_report(report)
    if as_json:
        print_json([report_json(r) for r in reports])
    if failures:
        for message in failures:
            print(f"asbtui: {one_line(message)}", file=sys.stderr)
        raise typer.Exit(1)
