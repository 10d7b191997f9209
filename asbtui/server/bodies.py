"""What a request may hold, checked before any of it reaches PostgreSQL.

A device key proves which device is asking, not that what it sends is sound: a device
gone wrong, or someone holding a stolen key, may send anything. Each reader here gives
the value a route needs or refuses the request in one plain line (a 4xx), so that bad
input never becomes a server error, a half-sent stream or a row other devices pull.
"""

from __future__ import annotations

import json
import math
from typing import Any

from asbtui.server.central import CentralError
from asbtui.server.scopes import SYNCED_TABLES

BIGINT_MAX = 2**63 - 1
TEXT_MAX = 200
VALUE_MAX = 1_000_000
"""The longest text a field of a row may hold (a note's text is bounded far below)."""


def json_object(raw: bytes) -> dict[str, Any]:
    """The request's body: a JSON object (an empty body is an empty object)."""
    try:
        body = json.loads(raw or b"{}")
    except ValueError:  # UnicodeDecodeError too: the body is not UTF-8
        raise CentralError("The request is not JSON.") from None
    if not isinstance(body, dict):
        raise CentralError("The request is not a JSON object.")
    return body


def whole(body: dict[str, Any], name: str, default: int = 0) -> int:
    """A whole number from 0 up (absent or null: ``default``)."""
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= BIGINT_MAX:
        raise CentralError(f"'{name}' must be a whole number from 0 up.")
    return value


def text(body: dict[str, Any], name: str, default: str = "", most: int = TEXT_MAX) -> str:
    """Short text without NUL characters (absent or null: ``default``)."""
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, str) or len(value) > most or "\x00" in value:
        raise CentralError(f"'{name}' must be text of at most {most} characters.")
    return value


def items(body: dict[str, Any], name: str, most: int) -> list[dict[str, Any]]:
    """A list of at most ``most`` JSON objects (absent or null: none)."""
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise CentralError(f"'{name}' must be a list of objects.")
    if len(value) > most:
        raise CentralError(f"A push holds at most {most} {name}.", 413)
    return value


def field_value(value: Any, what: str) -> Any:
    """A value a row's field (or a conflict's settlement) may hold: null, a boolean, a
    finite number or text without NUL (which PostgreSQL's JSON cannot hold)."""
    if value is None or isinstance(value, bool | int):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > BIGINT_MAX:
            raise CentralError(f"{what} is a number out of range.")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CentralError(f"{what} is not a finite number.")
        return value
    if isinstance(value, str):
        if len(value) > VALUE_MAX or "\x00" in value:
            raise CentralError(f"{what} must be text of at most {VALUE_MAX:,} characters "
                               "without NUL characters.")
        return value
    raise CentralError(f"{what} must be null, true or false, a number or text.")


def changes(body: dict[str, Any], most: int) -> list[dict[str, Any]]:
    """A push's changes, each with a sequence number, a synced table, a key and its
    fields: refused whole if any is not, so nothing of a bad batch is applied."""
    found = items(body, "changes", most)
    for number, change in enumerate(found, 1):
        what = f"Change {number} of the push"
        whole(change, "seq")
        whole(change, "base")
        table = change.get("table")
        if table not in SYNCED_TABLES:
            shown = table[:40] if isinstance(table, str) else type(table).__name__
            raise CentralError(f"{what} is for a table the central store does not keep "
                               f"({shown!r}): update the central store, or this device.")
        text(change, "key")
        text(change, "at", most=64)
        fields = change.get("fields")
        if not isinstance(fields, dict):
            raise CentralError(f"{what} has no fields.")
        _fields(fields, what, "no table has")
    return found


def audit_events(body: dict[str, Any], most: int) -> list[dict[str, Any]]:
    """A device's audit links: each a sequence number, its hash and the one before it."""
    found = items(body, "events", most)
    for number, event in enumerate(found, 1):
        what = f"Audit event {number}"
        whole(event, "seq")
        for name in ("hash", "prev_hash"):
            if not isinstance(event.get(name), str) or len(event[name]) > 128:
                raise CentralError(f"{what} has no {name.replace('_', ' ')}.")
        _fields(event, what, "no audit event has")
    return found


def _fields(fields: dict[str, Any], what: str, nowhere: str) -> None:
    for name, value in fields.items():
        if len(name) > 100 or "\x00" in name:
            raise CentralError(f"{what} names a field that {nowhere}.")
        field_value(value, f"{what}'s field {name[:40]!r}")
