"""Human case references, made on any device without coordination: ``THA-26-7K3QX``.

District code, two-digit year, and five characters of Crockford's base32 (no I, L, O
or U, so a reference read aloud on the radio is not misheard). 32**5 is 33 million
references per district and year; a clash is caught by the unique index and retried.
"""

from __future__ import annotations

import random
import re
import secrets
from datetime import date

from asbtui.models import District

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_REF = re.compile(r"^[A-Z]{3}-\d{2}-[0-9A-HJKMNP-TV-Z]{5}$")


def make_ref(district: District, day: date, rng: random.Random | None = None) -> str:
    """A new reference for a case opened on ``day`` in ``district``."""
    choice = rng.choice if rng else secrets.choice
    tail = "".join(choice(ALPHABET) for _ in range(5))
    return f"{district.value}-{day.year % 100:02d}-{tail}"


def normalise_ref(text: str) -> str:
    """A reference as typed (any case, O for 0, I/L for 1) in its stored form."""
    cleaned = text.strip().upper().replace(" ", "-")
    head, sep, tail = cleaned.rpartition("-")
    if sep:
        tail = tail.replace("O", "0").replace("I", "1").replace("L", "1")
        cleaned = f"{head}-{tail}"
    return cleaned


def is_ref(text: str) -> bool:
    return bool(_REF.match(normalise_ref(text)))
