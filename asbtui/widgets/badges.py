"""Badges for risk, status and due dates: colour plus a word, never colour alone."""

from __future__ import annotations

from datetime import date

from rich.text import Text

from asbtui.dates import format_date
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
