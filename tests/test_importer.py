"""Importing data.police.uk street-level CSV files: counts, districts, keys and the CLI."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from fresh import new_store
from typer.testing import CliRunner

from asbtui.cli import app
from asbtui.db import Store
from asbtui.errors import InvalidInput
from asbtui.models import District, ImportedIncident
from asbtui.services.importer import import_police_uk

HEADER = [
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
]
KENT = "Kent Police"
CRIME_ID = "3f1c0c4a9d2b7e8f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f"


def asb(
    month="2025-04",
    lon="1.384311",
    lat="51.387469",
    location="On or near Invicta Road",
    code="E01024680",
    name="Thanet 001A",
) -> list[str]:
    return ["", month, KENT, KENT, lon, lat, location, code, name, "Anti-social behaviour", "", ""]


def crime(kind="Burglary", name="Thanet 001A") -> list[str]:
    return [
        CRIME_ID,
        "2025-04",
        KENT,
        KENT,
        "1.38",
        "51.38",
        "On or near High Street",
        "E01024680",
        name,
        kind,
        "Under investigation",
        "",
    ]


def write_csv(path: Path, rows: list[list[str]], *, bom: bool = False) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8"))
    return path


# The sample file: line numbers are CSV lines, the header is line 1.
SAMPLE = [
    asb(),  # 2 Thanet, Invicta Road
    asb(
        name="Shepway 003B",
        code="E01024500",
        location="On or near Tontine Street",
        lon="1.1836",
        lat="51.0816",
    ),  # 3 Folkestone and Hythe under its old name
    asb(name="Folkestone and Hythe 010A", location="On or near Sandgate Road"),  # 4
    asb(name="Medway 020C", location="On or near Parking Area", month="2025-03"),  # 5
    asb(name="Tunbridge Wells 005D", location="On or near Mount Pleasant Road"),  # 6
    asb(name="Tonbridge and Malling 012B", location="On or near Castle Street"),  # 7
    crime(),  # 8 another crime type
    crime("Violence and sexual offences"),  # 9
    asb(name="Lewisham 012C", code="E01003200"),  # 10 outside Kent
    asb(month="April 2025"),  # 11 malformed: month
    asb(lon="one point three"),  # 12 malformed: longitude
    ["", "2025-04", KENT, KENT, "1.38"],  # 13 malformed: too few columns
    asb(name="", code=""),  # 14 malformed: no LSOA name
    asb(lon="", lat="", location="No location", name="Dover 004A"),  # 15 no map point
    asb(lon="", lat="", location="No location", name="", code=""),  # 16 no place at all
]


@pytest.fixture
def own_store(tmp_path: Path):
    store = new_store(tmp_path / "s.db")
    yield store
    store.close()


def imported(store: Store) -> list[ImportedIncident]:
    table = ImportedIncident.__table__  # type: ignore[attr-defined]
    with store.engine.connect() as connection:
        return list(connection.execute(sa.select(table).order_by(table.c.lsoa_name)).all())


def test_a_sample_file_is_counted_mapped_and_keyed(own_store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "2025-04-kent-street.csv", SAMPLE, bom=True)
    seen: list[tuple[int, int]] = []
    report = import_police_uk(
        own_store, path, progress=lambda done, total: seen.append((done, total))
    )

    assert report.file == "2025-04-kent-street.csv"
    assert report.rows == 15
    assert report.asb == 12  # every ASB row, however it ended
    assert report.added == 7
    assert report.already_imported == 0
    assert report.other_crime_types == 2
    assert report.outside_kent == 1
    assert [line for line, _ in report.malformed] == [11, 12, 13, 14]
    assert report.no_location == 1  # line 16: the publisher could not place it
    reasons = dict(report.malformed)
    assert "Month 'April 2025'" in reasons[11]
    assert "Longitude 'one point three' is not a number" in reasons[12]
    assert "5 columns" in reasons[13] and "12" in reasons[13]
    assert "no LSOA name" in reasons[14]
    assert seen and seen[-1] == (path.stat().st_size, path.stat().st_size)

    rows = {r.lsoa_name: r for r in imported(own_store)}
    assert {name: r.district for name, r in rows.items()} == {
        "Thanet 001A": District.THA,
        "Shepway 003B": District.FOL,
        "Folkestone and Hythe 010A": District.FOL,
        "Medway 020C": District.MED,
        "Tunbridge Wells 005D": District.TUN,
        "Tonbridge and Malling 012B": District.TON,
        "Dover 004A": District.DOV,
    }
    thanet = rows["Thanet 001A"]
    assert thanet.street_key == "invicta road"
    assert thanet.location == "On or near Invicta Road"
    assert thanet.month == date(2025, 4, 1)
    assert rows["Medway 020C"].month == date(2025, 3, 1)
    assert (thanet.longitude, thanet.latitude) == (1.384311, 51.387469)
    assert thanet.lsoa_code == "E01024680"
    assert thanet.reported_by == thanet.falls_within == KENT
    assert thanet.context == ""
    assert thanet.source_file == "2025-04-kent-street.csv"
    assert thanet.origin == own_store.device_id and thanet.updated_at and not thanet.deleted
    dover = rows["Dover 004A"]
    assert (dover.longitude, dover.latitude, dover.street_key) == (None, None, "")
    assert len({r.source_key for r in rows.values()}) == 7


def test_importing_twice_adds_nothing(own_store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "street.csv", SAMPLE)
    first = import_police_uk(own_store, path)
    again = import_police_uk(own_store, path)
    assert (first.added, first.already_imported) == (7, 0)
    assert (again.added, again.already_imported) == (0, 7)
    assert again.malformed == first.malformed
    assert len(imported(own_store)) == 7
    # The same rows under another name (a newer download of the same months) add nothing.
    copy = write_csv(tmp_path / "copy.csv", SAMPLE[:3])
    assert import_police_uk(own_store, copy).added == 0


def test_identical_rows_in_one_file_are_two_reports(own_store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "twice.csv", [asb(), asb(), asb(location="On or near Zion Place")])
    report = import_police_uk(own_store, path)
    assert (report.asb, report.added) == (3, 3)
    assert import_police_uk(own_store, path).added == 0
    # A later file holding the row a third time adds just the third.
    more = write_csv(tmp_path / "thrice.csv", [asb(), asb(), asb()])
    assert import_police_uk(own_store, more).added == 1


def test_fields_are_stripped_and_columns_may_be_reordered(own_store: Store, tmp_path: Path) -> None:
    plain = write_csv(tmp_path / "plain.csv", [asb()])
    import_police_uk(own_store, plain)
    # Padded fields and another column order (no Context column) are the same row.
    order = [h for h in reversed(HEADER) if h != "Context"]
    row = dict(zip(HEADER, asb(), strict=True))
    text = ",".join(order) + "\n" + ",".join(f" {row[h]} " for h in order) + "\n"
    other = tmp_path / "other.csv"
    other.write_text(text, encoding="utf-8")
    report = import_police_uk(own_store, other)
    assert (report.asb, report.added, report.already_imported) == (1, 0, 1)


def test_many_rows_go_in_batches_and_blank_lines_are_ignored(
    own_store: Store, tmp_path: Path
) -> None:
    rows = [asb(location=f"On or near Street {n}") for n in range(12_345)]
    path = write_csv(tmp_path / "big.csv", rows)
    path.write_bytes(path.read_bytes() + b"\r\n\r\n")
    report = import_police_uk(own_store, path)
    assert (report.rows, report.added, report.malformed) == (12_345, 12_345, [])


def test_a_quoted_field_over_two_lines_keeps_later_line_numbers_right(
    own_store: Store, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "multi.csv", [asb(location="On or near\nHigh Street"), asb(month="x")]
    )
    report = import_police_uk(own_store, path)
    assert report.added == 1
    assert [line for line, _ in report.malformed] == [4]


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: p / "missing.csv", "no file"),
        (lambda p: p, "folder"),
        (
            lambda p: _write(p / "latin1.csv", ",".join(HEADER).encode() + b"\n" + b"\xe9\n"),
            "UTF-8",
        ),
        (lambda p: _write(p / "empty.csv", b""), "no header"),
        (lambda p: _write(p / "outcomes.csv", b"Crime ID,Month,Outcome type\n"), "LSOA name"),
    ],
)
def test_files_that_cannot_be_read_say_why(
    own_store: Store, tmp_path: Path, make, words: str
) -> None:
    path = make(tmp_path)
    with pytest.raises(InvalidInput) as raised:
        import_police_uk(own_store, path)
    assert words in str(raised.value)
    assert str(path) in str(raised.value)


def test_a_file_not_utf8_deep_inside_adds_nothing_and_names_the_line(
    own_store: Store, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "late.csv", [asb(location=f"On or near Road {n}") for n in range(9000)]
    )
    path.write_bytes(
        path.read_bytes() + b",2025-04,Kent Police,Kent Police,,,Caf\xe9,E0,Thanet 001A,"
        b"Anti-social behaviour,,\r\n"
    )
    with pytest.raises(InvalidInput, match="line 9002"):
        import_police_uk(own_store, path)
    assert imported(own_store) == []


def test_an_unreadable_file_is_plain_input_error(
    own_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from asbtui.services import importer

    path = write_csv(tmp_path / "locked.csv", [asb()])

    def refuse(*_args: object, **_kwargs: object):
        raise PermissionError(13, "Permission denied")

    # Tests may run as root, where file permissions are not enforced: refuse the open.
    monkeypatch.setattr(importer, "open", refuse, raising=False)
    with pytest.raises(InvalidInput, match="Cannot read .*locked.csv: permission denied"):
        import_police_uk(own_store, path)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------------------- CLI


def run(*args: object):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.stdout + result.stderr
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def test_cli_prints_a_summary_per_file(own_store: Store, tmp_path: Path) -> None:
    rows = SAMPLE + [asb(month="bad") for _ in range(25)]
    one = write_csv(tmp_path / "one.csv", rows)
    two = write_csv(tmp_path / "two.csv", [asb(name="Ashford 001A")])
    result = run("--db", own_store.path, "import", "police-uk", one, two)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert "one.csv" in out and "two.csv" in out
    assert "rows read:" in out and " 40\n" in out
    assert "already imported:" in out
    assert "other crime types skipped:" in out
    assert "outside Kent:" in out
    assert "line 11: Month 'April 2025'" in out
    assert out.count("    line ") == 20
    assert "and 9 more" in out  # 29 malformed: 4 in SAMPLE and 25 bad months
    again = run("--db", own_store.path, "import", "police-uk", "--json", one, two)
    assert again.exit_code == 0, again.stderr
    reports = json.loads(again.stdout)
    assert [r["file"] for r in reports] == ["one.csv", "two.csv"]
    assert [(r["added"], r["already_imported"]) for r in reports] == [(0, 7), (0, 1)]
    assert reports[0]["malformed"][0] == {
        "line": 11,
        "reason": reports[0]["malformed"][0]["reason"],
    }
    assert len(reports[0]["malformed"]) == 29


def test_cli_missing_file_is_one_line_and_exit_1_after_the_others(
    own_store: Store, tmp_path: Path
) -> None:
    good = write_csv(tmp_path / "good.csv", [asb()])
    result = run("--db", own_store.path, "import", "police-uk", tmp_path / "nope.csv", good)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("asbtui: ") and "nope.csv" in lines[0]
    assert "good.csv" in result.stdout
    assert len(imported(own_store)) == 1


def test_cli_missing_file_alone(own_store: Store, tmp_path: Path) -> None:
    result = run("--db", own_store.path, "import", "police-uk", tmp_path / "nope.csv")
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1
    assert result.stdout == ""
