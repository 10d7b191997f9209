"""Import anti-social behaviour reports from data.police.uk street-level CSV files.

The publisher's street-level files (``YYYY-MM-<force>-street.csv``) have a header row and
the columns ``Crime ID, Month, Reported by, Falls within, Longitude, Latitude, Location,
LSOA code, LSOA name, Crime type, Last outcome category, Context``. ASB rows have an empty
``Crime ID``; a row with no map point has empty coordinates and the Location ``No
location``; ``Context`` is usually empty. The district is told by the LSOA name
(``Thanet 001A``): its local authority, one of Kent Police's 13 districts. Older files
name Folkestone and Hythe by its former name, Shepway.

A file is read as a stream (never whole) and written in one transaction, so a file that
fails part-way adds nothing. Each ASB row gets a ``source_key``: the hash of its fields
and of how many times the identical row came before it in the file. Importing the same
file again (or another download holding the same months) adds nothing, while two identical
rows in one file stay two reports.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import operator
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import DatabaseError, OperationalError

from asbtui.errors import InvalidInput
from asbtui.models import DISTRICT_NAMES, District, ImportedIncident, new_id
from asbtui.services import places
from asbtui.services.access import Permission, permits

if TYPE_CHECKING:
    from asbtui.db import Store

ASB = "Anti-social behaviour"
NO_LOCATION = "no location"
BATCH_SIZE = 5000
PROGRESS_EVERY = 2000  # rows between progress calls
IMPORT_CACHE_KIB = 64 * 1024  # SQLite page cache while importing
CACHED = {"month", "district", "deleted"}  # columns with few values: processed once each

# The publisher's columns, in its order; the hash of a row uses this order, so a file
# whose columns come in another order (or without Context) gives the same keys.
COLUMNS = (
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
)
REQUIRED = (
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
)


def _authority_key(name: str) -> str:
    return " ".join(name.split()).casefold()


# Local authority (the LSOA name without its code) to district.
AUTHORITIES: dict[str, District] = {
    _authority_key(name): district for district, name in DISTRICT_NAMES.items()
} | {"shepway": District.FOL}  # Folkestone and Hythe's name until April 2018

_MONTH = re.compile(r"(\d{4})-(\d{2})")


@dataclass
class ImportReport:
    """What one file gave: counts of rows by fate, and the malformed rows by line."""

    file: str
    rows: int = 0
    asb: int = 0
    added: int = 0
    already_imported: int = 0
    other_crime_types: int = 0
    outside_kent: int = 0
    no_location: int = 0
    """ASB rows the publisher could not place ('No location', no LSOA): no district."""
    malformed: list[tuple[int, str]] = field(default_factory=list)


class _Malformed(Exception):
    """A row that cannot be imported; the message is the plain reason."""


class _NoLocation(Exception):
    """A well-formed row that data.police.uk could not place: counted, not malformed."""


def _month(text: str) -> date:
    found = _MONTH.fullmatch(text)
    if not found or not 1 <= int(found.group(2)) <= 12:
        shown = text or "(empty)"
        raise _Malformed(f"Month '{shown}' is not a year and month like 2024-05")
    return date(int(found.group(1)), int(found.group(2)), 1)


def _coordinate(text: str, name: str, limit: float) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise _Malformed(f"{name} '{text}' is not a number") from None
    if not math.isfinite(value) or abs(value) > limit:
        raise _Malformed(f"{name} '{text}' is out of range")
    return value


def _district(lsoa_name: str, location: str) -> District | None:
    """The district of an LSOA name such as 'Thanet 001A'; None outside Kent."""
    if not lsoa_name:
        if location.casefold() == NO_LOCATION:
            raise _NoLocation
        raise _Malformed("no LSOA name, so the district is not known")
    authority, _, code = lsoa_name.rpartition(" ")
    if not authority.strip() or not code:
        raise _Malformed(f"LSOA name '{lsoa_name}' does not end in a code like '001A'")
    return AUTHORITIES.get(_authority_key(authority))


def _open_text(path: Path) -> tuple[io.BufferedReader, io.TextIOWrapper, int]:
    if not path.exists():
        raise InvalidInput(f"There is no file {path}.")
    if path.is_dir():
        raise InvalidInput(f"{path} is a folder, not a CSV file.")
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed by the caller
        total = path.stat().st_size
    except PermissionError:
        raise InvalidInput(f"Cannot read {path}: permission denied.") from None
    except OSError as error:
        raise InvalidInput(f"Cannot read {path}: {error.strerror or error}.") from None
    # utf-8-sig drops the byte order mark that spreadsheet programs put at the start.
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="strict", newline="")
    return raw, text, total


def _first_bad_line(path: Path) -> int | None:
    """The first line that is not UTF-8 (the decoder reads ahead, so it cannot tell)."""
    try:
        with open(path, "rb") as raw:
            for number, line in enumerate(raw, start=1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError:
                    return number
    except OSError:
        return None
    return None


def _not_utf8(path: Path) -> InvalidInput:
    line = _first_bad_line(path)
    where = f" (line {line})" if line else ""
    return InvalidInput(
        f"{path} is not UTF-8 text{where}; save it as 'CSV UTF-8' and import it again. "
        "Nothing was imported from it."
    )


def _header_index(path: Path, header: list[str]) -> dict[str, int]:
    seen = {h.strip().lstrip("\ufeff").casefold(): i for i, h in reversed(list(enumerate(header)))}
    missing = [c for c in REQUIRED if c.casefold() not in seen]
    if missing:
        raise InvalidInput(
            f"{path} is not a data.police.uk street-level CSV file: its header has no "
            + ", ".join(f"'{c}'" for c in missing)
            + " column"
            + ("s" if len(missing) > 1 else "")
            + "."
        )
    return {c: seen[c.casefold()] for c in COLUMNS if c.casefold() in seen}


def _rows(reader: Any, path: Path) -> Iterator[tuple[int, list[str]]]:
    """(first line, fields) of each record, translating decoding and CSV errors."""
    line_before = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError:
            raise _not_utf8(path) from None
        except csv.Error as error:
            # Only a field too large or a NUL byte get here; the row cannot be read.
            raise InvalidInput(
                f"{path} cannot be read as CSV at line {line_before + 1}: {error}. "
                "Nothing was imported from it."
            ) from None
        yield line_before + 1, row
        line_before = reader.line_num


class _Inserter:
    """Batched ``INSERT OR IGNORE`` of imported rows on one connection.

    The statement is compiled once and run with the driver's ``executemany``; values go
    through the columns' own bind processors (cached: there are few months and districts),
    which skips most of SQLAlchemy's per-row parameter handling (the larger part of the
    Python time per row when it was used).
    """

    def __init__(self, connection: sa.Connection) -> None:
        table = ImportedIncident.__table__  # type: ignore[attr-defined]
        statement = sa.insert(table).prefix_with("OR IGNORE")
        dialect = connection.dialect
        compiled = statement.compile(dialect=dialect, column_keys=list(table.c.keys()))
        self.connection = connection
        self.sql = str(compiled)
        self.order = list(compiled.positiontup or [])
        # (column, its bind processor, a cache of processed values or None).
        self.steps: list[tuple[str, Callable[[Any], Any], dict[Any, Any] | None]] = [
            (key, processor, {} if key in CACHED else None)
            for key in self.order
            if (processor := table.c[key].type.bind_processor(dialect)) is not None
        ]
        self.row = operator.itemgetter(*self.order)
        self.rows: list[tuple[Any, ...]] = []
        self.added = 0

    def add(self, values: dict[str, Any]) -> None:
        for key, processor, cache in self.steps:
            raw = values[key]
            if raw is None:
                continue
            if cache is None:
                values[key] = processor(raw)
            else:
                done = cache.get(raw)
                if done is None:
                    done = cache[raw] = processor(raw)
                values[key] = done
        self.rows.append(self.row(values))
        if len(self.rows) >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            result = self.connection.exec_driver_sql(self.sql, self.rows)
            self.added += max(result.rowcount, 0)
            self.rows = []


@contextmanager
def _big_cache(connection: sa.Connection) -> Iterator[None]:
    """A larger page cache while importing: random keys make index pages churn."""
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size=-{IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={int(before or -2000)}")


@permits(Permission.IMPORT_DATA)
def import_police_uk(
    store: Store,
    path: Path | str,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import the ASB rows of one data.police.uk street-level CSV file into the store.

    ``progress(bytes_read, total_bytes)`` is called now and then while the file is read.
    Raises :class:`InvalidInput` when the file cannot be read at all (missing, a folder,
    unreadable, not UTF-8, not a street-level CSV); malformed rows are only reported.
    """
    path = Path(path).expanduser()
    report = ImportReport(file=path.name or str(path))
    raw, text, total = _open_text(path)
    kept = 0  # valid Kent ASB rows: added now, or already in the store
    try:
        reader = csv.reader(text, strict=False)
        try:
            header = next(reader, None)
        except UnicodeDecodeError:
            raise _not_utf8(path) from None
        except csv.Error as error:
            raise InvalidInput(f"{path} cannot be read as CSV: {error}.") from None
        if not header or not any(h.strip() for h in header):
            raise InvalidInput(
                f"{path} is empty or has no header row; it is not a data.police.uk "
                "street-level CSV file."
            )
        index = _header_index(path, header)
        width = len(header)
        positions = [index.get(name) for name in COLUMNS]
        i_type = index["Crime type"]
        asb = ASB.casefold()
        occurrences: dict[bytes, int] = {}
        source_file = report.file
        with store.engine.begin() as connection, _big_cache(connection):
            inserter = _Inserter(connection)
            for line, row in _rows(reader, path):
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue  # a blank line
                report.rows += 1
                if progress is not None and report.rows % PROGRESS_EVERY == 0:
                    progress(raw.tell(), total)
                if len(row) != width:
                    report.malformed.append(
                        (line, f"{len(row)} columns where the header has {width}")
                    )
                    continue
                if row[i_type].strip().casefold() != asb:
                    report.other_crime_types += 1
                    continue
                report.asb += 1
                values = [row[i].strip() if i is not None else "" for i in positions]
                fields = dict(zip(COLUMNS, values, strict=True))
                try:
                    month = _month(fields["Month"])
                    longitude = _coordinate(fields["Longitude"], "Longitude", 180)
                    latitude = _coordinate(fields["Latitude"], "Latitude", 90)
                    district = _district(fields["LSOA name"], fields["Location"])
                except _Malformed as reason:
                    report.malformed.append((line, str(reason)))
                    continue
                except _NoLocation:
                    report.no_location += 1
                    continue
                if district is None:
                    report.outside_kent += 1
                    continue
                # The row's key: its fields, and how many identical rows came before it.
                digest = hashlib.sha256("\x1f".join(values).encode()).digest()
                seen = occurrences.get(digest, 0) + 1
                occurrences[digest] = seen
                kept += 1
                location = fields["Location"]
                inserter.add(
                    {
                        "id": new_id(),
                        "source_key": hashlib.sha256(digest + b"#%d" % seen).hexdigest(),
                        "month": month,
                        "district": district,
                        "reported_by": fields["Reported by"],
                        "falls_within": fields["Falls within"],
                        "longitude": longitude,
                        "latitude": latitude,
                        "location": location,
                        "street_key": ""
                        if location.casefold() == NO_LOCATION
                        else places.street_key(location),
                        "lsoa_code": fields["LSOA code"],
                        "lsoa_name": fields["LSOA name"],
                        "context": fields["Context"],
                        "source_file": source_file,
                        "updated_at": store.stamp(),
                        "origin": store.device_id,
                        "deleted": False,
                    }
                )
            inserter.flush()
            report.added = inserter.added
    except (OperationalError, DatabaseError) as error:
        from asbtui.db import explain_error

        raise explain_error(store.path, error) from None
    except OSError as error:
        raise InvalidInput(f"Cannot read {path}: {error.strerror or error}.") from None
    finally:
        text.close()
    if progress is not None:
        progress(total, total)
    report.already_imported = kept - report.added
    return report
