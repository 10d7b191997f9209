"""Badges for risk, status and due dates: colour plus a word, never colour alone."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from rich.text import Text

from asbtui.dates import format_date, to_london
from asbtui.literal import one_line
from asbtui.models import CaseStatus, RiskLevel

RISK_STYLE = {
    RiskLevel.HIGH: "bold white on red",
    RiskLevel.MEDIUM: "bold black on yellow",
    RiskLevel.STANDARD: "",
}


def risk_badge(risk: RiskLevel, *, padded: bool = False) -> Text:
    label = f" {risk.label} " if padded else risk.label
    return Text(label, style=RISK_STYLE[risk] if padded else _risk_fg(risk))


def _risk_fg(risk: RiskLevel) -> str:
    return {RiskLevel.HIGH: "bold red", RiskLevel.MEDIUM: "yellow", RiskLevel.STANDARD: ""}[risk]


def status_badge(status: CaseStatus, *, padded: bool = False) -> Text:
    style = "dim" if status is CaseStatus.CLOSED else ""
    if padded:
        style = "reverse"
    label = f" {status.label} " if padded else status.label
    return Text(label, style=style)


def next_due_badge(due: tuple[datetime, bool] | None, now: datetime, *, full: bool = False) -> Text:
    """A case's next review date or, if sooner, its next statutory deadline (with time).

    Overdue shows red with '!', due within two days yellow; colour is never the only sign.
    """
    if due is None:
        return Text("")
    moment, statutory = due
    # A statutory deadline shows its time (DD/MM HH:MM); a review its date (DD/MM/YYYY).
    local = to_london(moment)
    short = "%d/%m/%Y %H:%M" if full else "%d/%m %H:%M"
    text = local.strftime(short) if statutory else format_date(local.date())
    if moment < now:
        return Text(f"{text}!", style="bold red")
    if moment - now <= timedelta(days=2):
        return Text(text, style="yellow")
    return Text(text)


def due_badge(day: date | None, today: date) -> Text:
    """The next review date; overdue ones in red with a '!' so they show without colour."""
    if day is None:
        return Text("")
    if day < today:
        return Text(f"{format_date(day)}!", style="bold red")
    if (day - today).days <= 2:
        return Text(format_date(day), style="yellow")
    return Text(format_date(day))


def literal(text: str | None, width: int | None = None, style: str = "") -> Text:
    """User-typed text as a one-line Text: shown exactly as typed, never as markup."""
    return Text(one_line(text, width), style=style)
