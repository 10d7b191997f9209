"""The ASB Case Review (Community Trigger): the forms for each step, and the list (f4).

From a case, ``r`` opens the form for what comes next: the application if the case has no
review in progress, otherwise the decision, the meeting or the outcome. ``f4`` lists the
open cases that meet the threshold and every review with its dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import DataTable, Input, Label, Select, Static, TextArea

from asbtui.dates import format_date, london_today, parse_date
from asbtui.errors import AsbError
from asbtui.literal import one_line, plural
from asbtui.models import District, ReviewDecision, RiskLevel
from asbtui.screens.district_list import DistrictListScreen
from asbtui.services import case_review
from asbtui.services.case_review import ReviewStep, ReviewView, ThresholdCase, ThresholdStatus
from asbtui.widgets.badges import literal, risk_badge
from asbtui.widgets.footer import Footer
from asbtui.widgets.form import FieldRow, FormScreen

if TYPE_CHECKING:
    from asbtui.db import Store

DATE_HINT = "DD/MM/YYYY"
# The decision as a choice and in the list; the model's own labels read as outcomes.
DECISION_WORDS = {
    ReviewDecision.PENDING: "Pending",
    ReviewDecision.REVIEW: "Review",
    ReviewDecision.NO_REVIEW: "No review",
}


def _date_check(value: str) -> None:
    parse_date(value)


def threshold_text(status: ThresholdStatus) -> Text:
    """'3 qualifying reports (threshold 3): met, ...' for a form or the case screen."""
    reports = "report" if status.count == 1 else "reports"
    text = Text(
        f"{status.count} qualifying {reports} for an application on "
        f"{format_date(status.on)} (local threshold {status.threshold}): "
    )
    if status.met:
        text.append("THRESHOLD MET", style="bold black on yellow")
        text.append(" - a review must be held (s104(4))")
        if status.met_until:
            text.append(f"; met for applications up to {format_date(status.met_until)}")
    else:
        text.append("not met", style="bold")
        text.append(" - the partnership decides whether to review (s104(5))")
    return text


def review_summary(review: ReviewView) -> Text:
    """The application and its steps so far, for the forms of the later steps."""
    met = "threshold met" if review.threshold_met else "threshold not met"
    lines = [
        f"Applied for {format_date(review.requested_on)} by {one_line(review.requested_by)}: "
        f"{review.qualifying_reports} qualifying reports, {met}."
    ]
    if review.decided_on:
        lines.append(
            f"Decided {format_date(review.decided_on)}: {DECISION_WORDS[review.decision]}."
        )
    if review.meeting_on:
        lines.append(f"Meeting: {format_date(review.meeting_on)}.")
    return Text("\n".join(lines))


class RequestReviewForm(FormScreen[str]):
    """Record an application for an ASB Case Review on a case."""

    checks = {"requested_on": _date_check}

    def __init__(self, store: Store, ref: str, threshold: int, today: date) -> None:
        super().__init__()
        self.store = store
        self.ref = ref
        self.threshold = threshold
        self.today = today
        self.TITLE_TEXT = f"Request an ASB Case Review of {ref}"

    def fields(self) -> ComposeResult:
        yield Static(id="threshold-status", classes="form-note")
        yield FieldRow(
            "Applied on",
            Input(value=format_date(self.today), placeholder=DATE_HINT, id="requested_on"),
            "requested_on",
            f"{DATE_HINT}: the day the application was made (not in the future)",
        )
        yield FieldRow(
            "Applied by",
            Input(id="requested_by"),
            "requested_by",
            "The victim, or who applied on their behalf",
        )

    def on_mount(self) -> None:
        self.show_threshold(self.today)

    @on(Input.Changed, "#requested_on")
    def date_changed(self, event: Input.Changed) -> None:
        try:
            day = parse_date(event.value)
        except AsbError:
            return
        if day <= self.today:
            self.show_threshold(day)

    def show_threshold(self, day: date) -> None:
        try:
            status = case_review.threshold_status(self.store, self.ref, day, self.threshold)
        except AsbError as error:
            self.query_one("#threshold-status", Static).update(Text(str(error), style="red"))
            return
        self.query_one("#threshold-status", Static).update(threshold_text(status))

    def save(self) -> str:
        day = parse_date(self.value("requested_on"), field="requested_on")
        return case_review.request_review(
            self.store,
            self.ref,
            day,
            self.value("requested_by"),
            self.threshold,
            today=self.today,
        )

    def confirmation(self, result: str) -> str:
        status = case_review.case_reviews(self.store, self.ref)
        review = next((r for r in status if r.id == result), None)
        if review is None:
            return f"ASB Case Review requested on {self.ref}."
        met = "met" if review.threshold_met else "not met"
        return (
            f"ASB Case Review requested on {self.ref}: {review.qualifying_reports} "
            f"qualifying reports, threshold {met}. Press r to record the decision."
        )


class DecisionForm(FormScreen[ReviewDecision]):
    """Record whether a review will be held."""

    checks = {"decided_on": _date_check}

    def __init__(self, store: Store, review: ReviewView, today: date) -> None:
        super().__init__()
        self.store = store
        self.review = review
        self.today = today
        self.TITLE_TEXT = f"ASB Case Review of {review.case_ref}: the decision"

    def fields(self) -> ComposeResult:
        yield Static(review_summary(self.review), classes="form-note")
        met = self.review.threshold_met
        yield FieldRow(
            "Decision",
            Select(
                [
                    ("Hold a review", ReviewDecision.REVIEW.value),
                    ("No review", ReviewDecision.NO_REVIEW.value),
                ],
                value=ReviewDecision.REVIEW.value if met else Select.BLANK,
                prompt="Review or not",
                id="decision",
            ),
            "decision",
            "The threshold was met: s104(4) requires a review"
            if met
            else "Below the threshold: the partnership decides (s104(5))",
        )
        yield FieldRow(
            "Decided on",
            Input(value=format_date(self.today), placeholder=DATE_HINT, id="decided_on"),
            "decided_on",
            f"{DATE_HINT}: not before the application",
        )
        yield FieldRow(
            "Reason",
            TextArea(id="reason", soft_wrap=True),
            "reason",
            "Required when no review is held (tab leaves this box)",
        )

    def save(self) -> ReviewDecision:
        day = parse_date(self.value("decided_on"), field="decided_on")
        return case_review.decide(
            self.store,
            self.review.id,
            self.value("decision") or "",
            day,
            self.value("reason"),
            today=self.today,
        )

    def confirmation(self, result: ReviewDecision) -> str:
        then = " Press r to record the meeting." if result is ReviewDecision.REVIEW else ""
        return f"{self.review.case_ref}: decision recorded ({DECISION_WORDS[result]}).{then}"


class MeetingForm(FormScreen[date]):
    """Record the date of the review meeting."""

    checks = {"meeting_on": _date_check}

    def __init__(self, store: Store, review: ReviewView, today: date) -> None:
        super().__init__()
        self.store = store
        self.review = review
        self.today = today
        self.TITLE_TEXT = f"ASB Case Review of {review.case_ref}: the meeting"

    def fields(self) -> ComposeResult:
        yield Static(review_summary(self.review), classes="form-note")
        yield FieldRow(
            "Meeting on",
            Input(value=format_date(self.today), placeholder=DATE_HINT, id="meeting_on"),
            "meeting_on",
            f"{DATE_HINT}: held or arranged, not before the decision",
        )

    def save(self) -> date:
        day = parse_date(self.value("meeting_on"), field="meeting_on")
        return case_review.record_meeting(self.store, self.review.id, day, today=self.today)

    def confirmation(self, result: date) -> str:
        return (
            f"{self.review.case_ref}: review meeting on {format_date(result)}. "
            "Press r to record the outcome."
        )


class OutcomeForm(FormScreen[date]):
    """Record what the review concluded."""

    checks = {"outcome_on": _date_check}

    def __init__(self, store: Store, review: ReviewView, today: date) -> None:
        super().__init__()
        self.store = store
        self.review = review
        self.today = today
        self.TITLE_TEXT = f"ASB Case Review of {review.case_ref}: the outcome"

    def fields(self) -> ComposeResult:
        yield Static(review_summary(self.review), classes="form-note")
        yield FieldRow(
            "Outcome on",
            Input(value=format_date(self.today), placeholder=DATE_HINT, id="outcome_on"),
            "outcome_on",
            f"{DATE_HINT}: not before the meeting, not in the future",
        )
        yield FieldRow(
            "Outcome",
            TextArea(id="outcome", soft_wrap=True),
            "outcome",
            "What the review found and recommended (tab leaves this box)",
        )

    def save(self) -> date:
        day = parse_date(self.value("outcome_on"), field="outcome_on")
        return case_review.record_outcome(
            self.store, self.review.id, self.value("outcome"), day, today=self.today
        )

    def confirmation(self, result: date) -> str:
        return f"{self.review.case_ref}: outcome of the review recorded ({format_date(result)})."


STEP_FORMS: dict[ReviewStep, type[DecisionForm | MeetingForm | OutcomeForm]] = {
    ReviewStep.DECISION: DecisionForm,
    ReviewStep.MEETING: MeetingForm,
    ReviewStep.OUTCOME: OutcomeForm,
}


def review_form(store: Store, ref: str, threshold: int, today: date) -> FormScreen:
    """The form for the case's next step: a new application, or the review's next step."""
    review = case_review.review_in_progress(store, ref)
    if review is None or review.next_step is None:
        return RequestReviewForm(store, ref, threshold, today)
    return STEP_FORMS[review.next_step](store, review, today)


OWNER_WIDTH = 18
STATE_WIDTH = 28
RISK_ORDER = {RiskLevel.HIGH: 0, RiskLevel.MEDIUM: 1, RiskLevel.STANDARD: 2}


def decision_order(case: ThresholdCase, in_progress: dict[str, ReviewView]) -> tuple:
    """What needs a decision first: a review waiting for its decision, then cases with no
    review yet, then reviews further on; within each, higher risk, more reports, and
    the most recent report first."""
    review = in_progress.get(case.ref)
    if review is not None and review.next_step is ReviewStep.DECISION:
        stage = 0
    elif review is None:
        stage = 1
    else:
        stage = 2
    return (stage, RISK_ORDER[case.risk], -case.reports, -case.latest_report.toordinal(),
            case.ref)


class CaseReviewsScreen(DistrictListScreen):
    """For supervisors: open cases meeting the threshold, and every case review."""

    FAILED_TITLE = "Could not load the case reviews"

    BINDINGS = [
    ]

    @dataclass
    class Loaded(Message):
        meeting: list[ThresholdCase]
        reviews: list[ReviewView]

    def __init__(self, district: District | None) -> None:
        super().__init__(district)
        self.meeting: list[ThresholdCase] = []
        self.reviews: list[ReviewView] = []

    def compose(self) -> ComposeResult:
        yield Static(id="case-reviews-title")
        yield Label(
            Text("Open cases meeting the threshold"),
            id="threshold-cases-title",
            classes="section-title",
        )
        yield DataTable(id="threshold-cases", cursor_type="row", zebra_stripes=True)
        yield Label(Text("Case reviews"), id="review-list-title", classes="section-title")
        yield DataTable(id="review-list", cursor_type="row", zebra_stripes=True)
        yield Static(id="row-detail")
        yield Static(id="case-reviews-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#threshold-cases", DataTable).add_columns(
            *(Text(h) for h in ("Case", "Reports", "Latest", "Risk", "Owner", "Case review"))
        )
        self.query_one("#review-list", DataTable).add_columns(
            *(
                Text(h)
                for h in (
                    "Case",
                    "Applied",
                    "By",
                    "Reports",
                    "Threshold",
                    "Decision",
                    "Decided",
                    "Meeting",
                    "Outcome",
                    "State",
                )
            )
        )
        self.load()
        self.query_one("#threshold-cases", DataTable).focus()

    @work(thread=True, exclusive=True, exit_on_error=False, description="Loading case reviews")
    def load(self) -> None:
        today = london_today(self.asb.clock())
        try:
            meeting = case_review.threshold_cases(
                self.asb.store,
                district=self.district,
                on=today,
                threshold=self.asb.settings.case_review_threshold,
            )
            reviews = case_review.reviews(self.asb.store, district=self.district)
        except Exception as error:  # noqa: BLE001 - shown to the user, never a traceback
            self.post_message(self.LoadFailed(str(error)))
            return
        self.post_message(self.Loaded(meeting, reviews))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        self.reviews = message.reviews
        in_progress = {r.case_ref: r for r in self.reviews if not r.finished}
        self.meeting = sorted(message.meeting, key=lambda c: decision_order(c, in_progress))
        threshold = self.asb.settings.case_review_threshold
        today = london_today(self.asb.clock())
        cases_table = self.query_one("#threshold-cases", DataTable)
        cursor = cases_table.cursor_row
        cases_table.clear()
        for case in self.meeting:
            review = in_progress.get(case.ref)
            cases_table.add_row(
                Text(case.ref),
                Text(str(case.reports), justify="right"),
                Text(format_date(case.latest_report)),
                risk_badge(case.risk),
                literal(case.owner or "unallocated", OWNER_WIDTH,
                        style="" if case.owner else "dim"),
                literal(review.state, STATE_WIDTH) if review
                else Text("none yet: r on the case", style="bold"),
                key=case.ref,
            )
        if self.meeting:
            cases_table.move_cursor(row=min(cursor, cases_table.row_count - 1))
        review_table = self.query_one("#review-list", DataTable)
        cursor = review_table.cursor_row
        review_table.clear()
        for r in self.reviews:
            review_table.add_row(
                Text(r.case_ref),
                Text(format_date(r.requested_on)),
                literal(r.requested_by, 20),
                Text(str(r.qualifying_reports)),
                Text("met", style="bold black on yellow") if r.threshold_met else Text("not met"),
                Text(DECISION_WORDS[r.decision]),
                Text(format_date(r.decided_on)),
                Text(format_date(r.meeting_on)),
                Text(format_date(r.outcome_on)),
                Text(r.state, style="" if r.finished else "bold"),
                key=r.id,
            )
        if self.reviews:
            review_table.move_cursor(row=min(cursor, review_table.row_count - 1))
        where = (
            f"{self.district.label} ({self.district.value})" if self.district else "All districts"
        )
        self.query_one("#case-reviews-title", Static).update(
            Text(
                f"ASB Case Reviews · {where} · threshold {threshold} · {format_date(today)}",
                style="bold",
            )
        )
        self.query_one("#threshold-cases-title", Label).update(
            Text(f"Open cases meeting the threshold ({len(self.meeting):,})")
        )
        waiting = sum(not r.finished for r in self.reviews)
        self.query_one("#review-list-title", Label).update(
            Text(f"Case reviews ({len(self.reviews):,}, {waiting:,} in progress)")
        )
        self.query_one("#case-reviews-status", Static).update(
            Text("enter opens the case · r on the case records the next step · a all districts")
        )

    @on(DataTable.RowHighlighted, "#review-list")
    def review_detail(self, event: DataTable.RowHighlighted) -> None:
        r = next((r for r in self.reviews if r.id == event.row_key.value), None)
        if r is None:
            return
        lines = [f"{r.case_ref} · {r.district.label} · {r.state}"]
        if r.decision_reason:
            lines.append(f"Reason: {one_line(r.decision_reason)}")
        if r.outcome:
            lines.append(f"Outcome: {one_line(r.outcome)}")
        self.query_one("#row-detail", Static).update(Text("\n".join(lines)))

    @on(DataTable.RowHighlighted, "#threshold-cases")
    def case_detail(self, event: DataTable.RowHighlighted) -> None:
        case = next((c for c in self.meeting if c.ref == event.row_key.value), None)
        if case is None:
            return
        review = next((r for r in self.reviews if r.case_ref == case.ref and not r.finished),
                      None)
        self.query_one("#row-detail", Static).update(Text(
            f"{case.ref} · {plural(case.reports, 'qualifying report')}, the latest "
            f"{format_date(case.latest_report)} · {case.risk.label} risk · "
            f"{one_line(case.owner) or 'unallocated'} · "
            + (f"review: {one_line(review.state)}" if review
               else "no review yet: enter opens the case, r there requests one")
        ))

    @on(DataTable.RowSelected)
    def open_case(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value
        if event.data_table.id == "review-list":
            review = next((r for r in self.reviews if r.id == key), None)
            ref = review.case_ref if review else None
        else:
            ref = key
        if ref:
            self.asb.open_case(ref, on_close=self._case_closed)

    def _case_closed(self, changed: bool | None) -> None:
        if changed:
            self.changed = True
            self.load()

