"""Where a report is, as a point: coordinates typed or read as "latitude, longitude".

A case may carry the point of the problem (WGS84 degrees, as data.police.uk, a phone's
map or a caller's location give them). Duplicate matching looks for open cases within
:data:`NEAR_METRES` of a new report's point: a box of latitudes and longitudes read from
one index, then the great-circle distance (the ``haversine`` library) of the few rows
found. Points outside Great Britain and its islands are refused as typing errors (the
usual one: latitude and longitude swapped).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from haversine import Unit, haversine

from asbtui.errors import InvalidInput

NEAR_METRES = 150.0
"""How close a point must be to count as the same place at intake."""

# Great Britain, Northern Ireland, the Isle of Man and the Channel Islands, with a margin.
_LATITUDES = (49.0, 61.5)
_LONGITUDES = (-8.8, 2.1)
_NUMBER = r"[-+]?\d{1,3}(?:\.\d+)?"
_PAIR = re.compile(rf"^\s*({_NUMBER})\s*[,;\s]\s*({_NUMBER})\s*$")
_METRES_PER_DEGREE = 111_195.0  # of latitude (a mean Earth radius of 6,371 km)


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float

    def __str__(self) -> str:
        return f"{self.latitude:.5f}, {self.longitude:.5f}"


def parse_point(text: str | None, field: str = "coordinates") -> Point | None:
    """``"51.3890, 1.3861"`` (latitude first) as a point; blank is None; anything else is
    refused in plain words."""
    cleaned = (text or "").strip()
    if not cleaned:
        return None
    found = _PAIR.match(cleaned[:60])
    if found is None:
        raise InvalidInput(
            "Give coordinates as latitude, longitude in degrees, e.g. 51.3890, 1.3861.", field)
    return checked_point(float(found.group(1)), float(found.group(2)), field)


def checked_point(latitude: float, longitude: float, field: str = "coordinates") -> Point:
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        raise InvalidInput("Coordinates must be numbers.", field)
    inside = (_LATITUDES[0] <= latitude <= _LATITUDES[1]
              and _LONGITUDES[0] <= longitude <= _LONGITUDES[1])
    if not inside:
        swapped = (_LATITUDES[0] <= longitude <= _LATITUDES[1]
                   and _LONGITUDES[0] <= latitude <= _LONGITUDES[1])
        hint = " (latitude and longitude look swapped: latitude comes first)" if swapped else ""
        raise InvalidInput(f"{latitude:g}, {longitude:g} is not in Great Britain{hint}.", field)
    return Point(round(latitude, 6), round(longitude, 6))


def metres_between(a: Point, b: Point) -> float:
    return haversine((a.latitude, a.longitude), (b.latitude, b.longitude), unit=Unit.METERS)


def box_around(point: Point, metres: float) -> tuple[float, float, float, float]:
    """(south, north, west, east): every point within ``metres`` lies inside (a little
    wider than the circle, which :func:`metres_between` then cuts to size)."""
    dlat = metres / _METRES_PER_DEGREE * 1.01
    dlon = dlat / max(math.cos(math.radians(abs(point.latitude) + dlat)), 0.01)
    return (point.latitude - dlat, point.latitude + dlat,
            point.longitude - dlon, point.longitude + dlon)
