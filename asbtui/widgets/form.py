"""The frame of every modal form: labelled fields, errors beside them, save and cancel.

A form checks each field as the user leaves it (``checks``), and on save hands the values
to a service, which is the final judge: an :class:`~asbtui.errors.InvalidInput` it raises
is shown beside the field it names, and the form stays open with everything typed kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, Static, TextArea

from asbtui.errors import AsbError, InvalidInput
from asbtui.models import Channel

R = TypeVar("R")
EARLY_KEYS_SECONDS = 1.0
"""How long after a form opens keys that reach the form itself still go into its field."""


class FieldRow(Vertical):
    """A label and the input widget on one line, and a line for a hint or an error."""

    def __init__(self, label: str, widget: Widget, name: str, hint: str = "") -> None:
        super().__init__(classes="field")
        self.label = label
        self.widget = widget
        self.field_name = name
        self.hint = hint
        if hasattr(widget, "compact"):
            widget.compact = True

    def compose(self) -> ComposeResult:
        with Horizontal(classes="field-line"):
            yield Label(Text(self.label), classes="field-label")
            yield self.widget
        error = Static(
            Text(self.hint, style="dim"), classes="field-error", id=f"{self.field_name}-error"
        )
        error.display = bool(self.hint)
        yield error


def channel_field() -> FieldRow:
    """How the report arrived: the same field on the intake and incident forms."""
    return FieldRow(
        "Channel",
        Select([(c.label, c) for c in Channel], id="channel", value=Channel.CALL_101,
               allow_blank=False),
        "channel",
    )


class FormScreen(ModalScreen[R | None], Generic[R]):
    """Base of the intake and casework forms."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
        Binding("ctrl+s", "save", "Save", id="form.save", priority=True),
    ]
    TITLE_TEXT = "Form"
    CONFIRM = True
    """Whether a saved form is confirmed with a notification (forms that write: yes)."""
    checks: dict[str, Callable[[str], object]] = {}
    """Per-field checks run when the user leaves a field: raise InvalidInput to complain."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form"):
            yield Label(Text(self.TITLE_TEXT), classes="dialog-title")
            with VerticalScroll(classes="form-fields"):
                yield from self.fields()
            yield Static("", id="form-error")
            with Horizontal(classes="form-buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="save", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def fields(self) -> ComposeResult:
        """The form's FieldRows, in order."""
        raise NotImplementedError

    def save(self) -> R:
        """Validate and write through a service; return what the form dismisses with."""
        raise NotImplementedError

    def confirmation(self, result: R) -> str:
        """The plain message that confirms a saved form."""
        return "Saved."

    # ------------------------------------------------------------------ values

    def value(self, name: str) -> Any:
        widget = self.query_one(f"#{name}")
        if isinstance(widget, Input):
            return widget.value
        if isinstance(widget, TextArea):
            return widget.text
        if isinstance(widget, Checkbox):
            return widget.value
        if isinstance(widget, Select):
            return None if widget.is_blank() else widget.value
        raise TypeError(name)

    def show_error(self, name: str | None, message: str) -> None:
        # A service may name a field this form does not have: show it for the whole form.
        found = self.query(f"#{name}-error") if name else None
        target = found.first() if found else None
        if target is None:
            self.query_one("#form-error", Static).update(Text(message, style="bold red"))
            return
        target.update(Text(message, style="bold red"))
        target.display = True
        self.query_one(f"#{name}").focus()

    def clear_errors(self) -> None:
        for row in self.query(FieldRow):
            error = row.query_one(".field-error", Static)
            error.update(Text(row.hint, style="dim"))
            error.display = bool(row.hint)
        self.query_one("#form-error", Static).update("")

    # ------------------------------------------------------------------ events

    def on_mount(self) -> None:
        first = self.query(".field Input, .field Select, .field TextArea, .field Checkbox").first()
        if first is not None:
            first.focus()
        # Where early typing goes: the first field that takes text.
        self._first_field = next(iter(self.query(".field Input, .field TextArea")), None)
        self._opened_at = time.monotonic()

    def on_key(self, event: events.Key) -> None:
        """Keys typed while the form opens reach the form, not its first field (focus
        moves there a moment later): put them into that field, so that none is lost."""
        if not event.is_printable or not event.character:
            return
        focused = self.focused
        if isinstance(focused, (Input, TextArea)):
            target: Widget | None = focused
        elif focused is None or (isinstance(focused, VerticalScroll)
                                 and focused.has_class("form-fields")) or (
                time.monotonic() - getattr(self, "_opened_at", 0.0) <= EARLY_KEYS_SECONDS):
            # Focus not yet on a field (however slow the machine: it rests on this form's
            # scrolling body first), or a moment after opening: the keys are the first field's.
            target = getattr(self, "_first_field", None)
        else:
            return  # a checkbox or a list chosen on purpose: its keys are not text
        if self._type_into(target, event.character):
            event.stop()

    @staticmethod
    def _type_into(widget: Widget | None, text: str) -> bool:
        if isinstance(widget, Input):
            widget.insert_text_at_cursor(text)
        elif isinstance(widget, TextArea):
            widget.insert(text)
        else:
            return False
        return True

    @on(Input.Blurred)
    def check_left_field(self, event: Input.Blurred) -> None:
        name = event.input.id or ""
        check = self.checks.get(name)
        error = self.query(f"#{name}-error").first()
        if check is None or error is None:
            return
        try:
            check(event.value)
        except InvalidInput as problem:
            error.update(Text(str(problem), style="bold red"))
            error.display = True
            return
        row = next(r for r in self.query(FieldRow) if r.field_name == name)
        error.update(Text(row.hint, style="dim"))
        error.display = bool(row.hint)

    @on(Input.Submitted)
    def next_field(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    @on(Button.Pressed, "#save")
    def save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def cancel_pressed(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        self.clear_errors()
        try:
            result = self.save()
        except InvalidInput as problem:
            self.show_error(problem.field, str(problem))
            return
        except AsbError as problem:
            self.show_error(None, str(problem))
            return
        if self.CONFIRM:
            self.app.notify(self.confirmation(result), title="Saved", markup=False)
        self.dismiss(result)
