"""Why are you looking? The reason asked for before personal data is shown or disclosed.

Dismisses with the reason (one of ``audit.JUSTIFICATIONS`` or the user's own words), or
None if the user thinks better of it. The service checks the reason again and audits it.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from asbtui.errors import InvalidInput
from asbtui.services import audit

OTHER = "Other (type the reason)"


class JustificationScreen(ModalScreen[str | None]):
    """Choose a standard reason, or "Other" and type one; enter confirms."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="justification.cancel")]

    def __init__(self, title: str, purpose: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.purpose = purpose

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog choice justification"):
            yield Label(Text(self.title_text), classes="dialog-title")
            if self.purpose:
                yield Static(Text(self.purpose, style="dim"), classes="form-note")
            options = [Option(Text(reason), id=str(i))
                       for i, reason in enumerate(audit.JUSTIFICATIONS)]
            options.append(Option(Text(OTHER), id="other"))
            yield OptionList(*options, id="reasons")
            own = Input(placeholder="Your reason, then enter", id="other-reason",
                        max_length=audit.JUSTIFICATION_MAX, compact=True)
            own.display = False
            yield own
            yield Static("", id="justification-error")

    def on_mount(self) -> None:
        reasons = self.query_one("#reasons", OptionList)
        reasons.highlighted = 0
        reasons.focus()

    @on(OptionList.OptionSelected, "#reasons")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id == "other":
            own = self.query_one("#other-reason", Input)
            own.display = True
            own.focus()
            return
        self.dismiss(audit.JUSTIFICATIONS[int(event.option.id or 0)])

    @on(Input.Submitted, "#other-reason")
    def typed(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            reason = audit.justification(event.value)
        except InvalidInput as problem:
            self.query_one("#justification-error", Static).update(
                Text(str(problem), style="bold red"))
            return
        self.dismiss(reason)

    def action_cancel(self) -> None:
        own = self.query_one("#other-reason", Input)
        if own.has_focus:
            own.display = False
            self.query_one("#reasons", OptionList).focus()
            return
        self.dismiss(None)


OTHER_VALUE = "__other__"


def reason_fields(hint: str) -> ComposeResult:
    """A form's reason: a standard one from a list, or "Other" with the words typed."""
    from textual.widgets import Select

    from asbtui.widgets.form import FieldRow

    choices = [(reason, reason) for reason in audit.JUSTIFICATIONS] + [(OTHER, OTHER_VALUE)]
    yield FieldRow("Reason", Select(choices, id="justification", prompt="Choose a reason"),
                   "justification", hint)
    yield FieldRow("Other reason", Input(id="other_reason", max_length=audit.JUSTIFICATION_MAX,
                                         placeholder="If the reason is Other"),
                   "other_reason")


def reason_value(chosen: object, typed: str) -> str:
    """The reason a form's reason fields give ("" when none was given)."""
    if chosen == OTHER_VALUE:
        return typed.strip()
    return str(chosen or "")
