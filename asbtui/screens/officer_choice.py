"""The officers a case can be given to, each with what they already carry."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text

from asbtui.literal import one_line, plural
from asbtui.models import District
from asbtui.services import dashboard

if TYPE_CHECKING:
    from asbtui.db import Store

UNALLOCATED = ""
NAME_WIDTH = 24


def officer_choices(store: Store, district: District, now: datetime) -> list[tuple[Text, str]]:
    """'Unallocated', then each officer of the district, least loaded first, with their
    open cases and overdue items: choices for a ChoiceScreen (the value is the collar)."""
    workloads = sorted(dashboard.officer_workloads(store, district, now=now),
                       key=lambda w: (w.open, w.overdue, w.name))
    choices = [(Text("Unallocated"), UNALLOCATED)]
    for w in workloads:
        label = Text(f"{one_line(w.collar):<10} {one_line(w.name, NAME_WIDTH):<{NAME_WIDTH}} ")
        label.append(f"{plural(w.open, 'open case'):>14}")
        label.append(f"  {plural(w.overdue, 'overdue'.rstrip('s')) if False else ''}")
        late = f"{w.overdue:,} overdue"
        label.append(late, style="bold red" if w.overdue else "dim")
        choices.append((label, w.collar))
    return choices
