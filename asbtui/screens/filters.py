"""Filter the queue by status, category, risk and owner."""

from __future__ import annotations

from dataclasses import replace

from textual.app import ComposeResult
from textual.widgets import Select

from asbtui.errors import InvalidInput
from asbtui.models import OPEN_STATUSES, CaseStatus, Category, RiskLevel
from asbtui.services.queue import QueueQuery
from asbtui.widgets.form import FieldRow, FormScreen

ALL_OPEN = "open"
ALL = "all"
ANY = "any"
MINE = "mine"
UNALLOCATED = "unallocated"


class FilterForm(FormScreen[QueueQuery]):
    TITLE_TEXT = "Filter the queue"
    CONFIRM = False

    def __init__(self, query: QueueQuery, my_officer_id: str | None) -> None:
        super().__init__()
        self.query_now = query
        self.my_officer_id = my_officer_id

    def fields(self) -> ComposeResult:
        q = self.query_now
        if q.statuses == OPEN_STATUSES:
            status = ALL_OPEN
        elif not q.statuses:
            status = ALL
        else:
            status = q.statuses[0].value
        yield FieldRow(
            "Status",
            Select(
                [("Every open status", ALL_OPEN), ("Open and closed", ALL)]
                + [(s.label, s.value) for s in CaseStatus],
                id="status",
                value=status,
                allow_blank=False,
            ),
            "status",
        )
        yield FieldRow(
            "Category",
            Select(
                [("Any category", ANY)] + [(c.label, c.value) for c in Category],
                id="category",
                value=q.categories[0].value if q.categories else ANY,
                allow_blank=False,
            ),
            "category",
        )
        yield FieldRow(
            "Risk",
            Select(
                [("Any risk", ANY)] + [(r.label, r.value) for r in RiskLevel],
                id="risk",
                value=q.risks[0].value if q.risks else ANY,
                allow_blank=False,
            ),
            "risk",
        )
        owner = MINE if q.owner_id else UNALLOCATED if q.unallocated else ANY
        yield FieldRow(
            "Owner",
            Select(
                [("Anyone", ANY), ("My cases", MINE), ("Unallocated", UNALLOCATED)],
                id="owner",
                value=owner,
                allow_blank=False,
            ),
            "owner",
        )

    def save(self) -> QueueQuery:
        status = self.value("status")
        statuses = (
            OPEN_STATUSES if status == ALL_OPEN else () if status == ALL else (CaseStatus(status),)
        )
        category = self.value("category")
        risk = self.value("risk")
        owner = self.value("owner")
        if owner == MINE and not self.my_officer_id:
            raise InvalidInput(
                "No officer is set for this device: start asbtui with "
                "--officer 'PC 1234' to use My cases.",
                "owner",
            )
        return replace(
            self.query_now,
            statuses=statuses,
            categories=() if category == ANY else (Category(category),),
            risks=() if risk == ANY else (RiskLevel(risk),),
            owner_id=self.my_officer_id if owner == MINE else None,
            unallocated=owner == UNALLOCATED,
        )
