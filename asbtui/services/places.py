"""Normalised keys for places and people, so that repeats can be grouped in SQL.

"14 Invicta Road, Margate", "14, invicta road  MARGATE" and "Flat 2, 14 Invicta Road"
are one address or one street; data.police.uk's "On or near Invicta Road" is that street.
Keys are computed once when a row is written and indexed, never per query.
"""

from __future__ import annotations

import re
from datetime import date

_NON_WORD = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")
_UNIT_WORDS = {"flat", "apartment", "apt", "unit", "room"}
_HOUSE_NUMBER = re.compile(r"\d+[a-z]?")


def _clean(text: str) -> str:
    lowered = _NON_WORD.sub(" ", (text or "").lower())
    return _SPACES.sub(" ", lowered).strip()


def address_key(location: str) -> str:
    """The whole address, normalised: case, punctuation and spacing do not matter."""
    return _clean(location)


def street_key(location: str) -> str:
    """The street alone: no "on or near", no flat, no house number, no town."""
    for part in (location or "").split(","):
        words = _clean(part).split()
        if words[:3] == ["on", "or", "near"]:
            words = words[3:]
        while words:
            if words[0] in _UNIT_WORDS and len(words) > 1:
                words = words[2:]
            elif _HOUSE_NUMBER.fullmatch(words[0]):
                words = words[1:]
            else:
                break
        if words:
            return " ".join(words)
    return ""


def postcode_key(postcode: str) -> str:
    return re.sub(r"\s+", "", (postcode or "").upper())


def phone_key(phone: str) -> str:
    """A phone number's digits in UK form: "+44 (0)7700 900123" is "07700900123"."""
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("440"):
        digits = "0" + digits[3:]
    elif digits.startswith("44") and len(digits) >= 12:
        digits = "0" + digits[2:]
    return digits


def person_key(name: str, date_of_birth: date | None) -> str:
    """Name (letters only) and date of birth: the same person across cases."""
    letters = _clean(name).replace(" ", "")
    return f"{letters}|{date_of_birth.isoformat() if date_of_birth else ''}"
