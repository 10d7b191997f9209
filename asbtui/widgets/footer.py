"""The footer: the help key first, the palette key on the right, and only the keys that fit.

Textual's footer lays every key out in a row and lets the narrow terminal cut the last
ones, help among them ("u D" at 80 columns). Here the help key leads, the command
palette stays docked on the right, and a key that would not fit whole is left out: it is
still listed by help (f1) and offered by the palette (ctrl+p).
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer as TextualFooter

HELP_ACTION = "help"
# FooterKey draws " key description " (padding 1 around the key, 1 after the text).
KEY_PADDING = 3
# The palette key is docked right with a one-column border before it.
PALETTE_EXTRA = 2


def key_width(key: Widget) -> int:
    """The columns a footer key takes (not compact); 0 for anything else."""
    display = getattr(key, "key_display", None)
    if display is None:
        return 0
    description = getattr(key, "description", "")
    return len(display) + len(description) + (KEY_PADDING if description else 2)


def is_key(widget: Widget) -> bool:
    # Textual's FooterKey is not public API: a key is what has a key and an action.
    return hasattr(widget, "key_display") and hasattr(widget, "action")


class Footer(TextualFooter):
    """A footer that keeps help and the palette in view at any width."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._composed_width = 0
        self._composed_keys: tuple[object, ...] | None = None

    def _keys_now(self) -> tuple[object, ...]:
        """What the keys shown depend on: each active binding, enabled or not."""
        return tuple((binding.key, binding.description, binding.action, binding.show,
                      enabled, tooltip)
                     for _node, binding, enabled, tooltip
                     in self.screen.active_bindings.values())

    def bindings_changed(self, screen: Screen) -> None:
        # Textual composes the footer's keys anew each time the screen's bindings may have
        # changed (a focus moved, a screen pushed or popped over it): some fifteen widgets
        # made and styled, the most of a key's time when opening a case and going back.
        # The same keys are not composed again.
        if (self._composed_keys is not None and screen is self.screen
                and self._keys_now() == self._composed_keys):
            return
        if (self._bindings_ready and screen.app.app_focus and self.is_attached
                and screen is self.screen):  # as Textual's, which then composes
            # The composing waits for the message loop; the same keys asked for meanwhile
            # (two or three times as a screen starts) are not composed again.
            self._composed_keys = self._keys_now()
        super().bindings_changed(screen)

    def compose(self) -> ComposeResult:
        widgets: list[Widget] = list(super().compose())
        if self._bindings_ready:
            self._composed_keys = self._keys_now()
        keys = [w for w in widgets if is_key(w)]
        palette = [k for k in keys if k.has_class("-command-palette")]
        help_keys = [k for k in keys
                     if getattr(k, "action", "").endswith(HELP_ACTION) and k not in palette]
        others = [w for w in widgets if w not in palette and w not in help_keys]
        width = self.app.size.width
        self._composed_width = width
        room = width - sum(key_width(k) + PALETTE_EXTRA for k in palette)
        for widget in [*help_keys[:1], *others]:
            needed = key_width(widget)
            if not is_key(widget) or needed > room:
                continue  # groups are not used here; a key that would be cut is left out
            room -= needed
            yield self._compact_as_footer(widget)
        yield from palette  # not bound to the footer's setting: compact, as Textual has it

    def _compact_as_footer(self, key: Widget) -> Widget:
        # A binding's key starts compact and is then bound to the footer's setting: two
        # changes of its classes, each restyling it, for every key as a screen starts (a
        # third of the styling before the queue's first frame). Set as the footer's from
        # the start.
        compact = getattr(type(key), "compact", None)
        if isinstance(compact, Reactive):
            key.set_reactive(compact, self.compact)
        return key

    def on_resize(self, event: events.Resize) -> None:
        if self._composed_width and event.size.width != self._composed_width:
            self.call_after_refresh(self.recompose)
