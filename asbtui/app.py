"""The Textual app: screens, app-wide keys, command palette entries and theme."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from asbtui.config import Settings
from asbtui.dates import utc_now
from asbtui.models import District
from asbtui.screens.case import CaseScreen
from asbtui.screens.help import HelpScreen
from asbtui.screens.queue import QueueScreen
from asbtui.services import cases

if TYPE_CHECKING:
    from asbtui.db import Store

THEMES = ("textual-dark", "textual-light")


class AsbApp(App[None]):
    """asbtui: the district queue and the case screen, over a local store."""

    CSS_PATH = "app.tcss"
    TITLE = "asbtui"
    BINDINGS = [
        Binding("f1", "help", "Help", id="app.help"),
        Binding("question_mark", "help", "Help", show=False, id="app.help_q"),
        Binding("ctrl+t", "toggle_theme", "Light/dark", show=False, id="app.theme"),
        Binding("f3", "patterns", "Patterns", tooltip="Patterns of concern (repeats, hotspots)",
                show=False, id="app.patterns"),
        Binding("f4", "case_reviews", "Case reviews",
                tooltip="ASB Case Reviews, and open cases meeting the threshold", show=False,
                id="app.case_reviews"),
        Binding("f6", "problems", "Problems", tooltip="Problem profiles (SARA)", show=False,
                id="app.problems"),
        Binding("f7", "trends", "Trends", tooltip="Trends: reports per week, high-risk share",
                show=False, id="app.trends"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
    ]

    def __init__(
        self,
        store: Store,
        settings: Settings | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        super().__init__()
        self.store = store
        self.settings = settings or Settings()
        self.clock = clock
        """Gives 'now'; tests pass a fixed clock so that 'overdue' does not move."""

    def on_mount(self) -> None:
        self.theme = (
            self.settings.theme if self.settings.theme in self.available_themes else (THEMES[0])
        )
        officer = cases.device_officer(self.store)
        district = officer.district if officer else District.THA
        self.push_screen(QueueScreen(district, officer))

    def open_case(self, ref: str, on_close: Callable[[bool], None] | None = None) -> None:
        self.push_screen(CaseScreen(ref), on_close)

    def action_patterns(self) -> None:
        from asbtui.screens.patterns import PatternsScreen

        if isinstance(self.screen, PatternsScreen):
            return
        district = getattr(self.screen, "query_now", None)
        self.push_screen(PatternsScreen(district.district if district else None))

    def action_problems(self) -> None:
        from asbtui.screens.problems import ProblemsScreen

        if isinstance(self.screen, ProblemsScreen):
            return
        # The district in view: the queue's, or that of a list screen (patterns, deadlines).
        query = getattr(self.screen, "query_now", None)
        district = query.district if query else getattr(self.screen, "district", None)
        self.push_screen(ProblemsScreen(district if isinstance(district, District) else None))

    def action_trends(self) -> None:
        from asbtui.screens.trends import TrendsScreen

        if isinstance(self.screen, TrendsScreen):
            return
        district = getattr(self.screen, "query_now", None)
        self.push_screen(TrendsScreen(district.district if district else None))

    def action_case_reviews(self) -> None:
        from asbtui.screens.case_review import CaseReviewsScreen

        if isinstance(self.screen, CaseReviewsScreen):
            return
        query = getattr(self.screen, "query_now", None)
        district = query.district if query else getattr(self.screen, "district", None)
        self.push_screen(CaseReviewsScreen(district if isinstance(district, District) else None))

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.screen))

    def action_toggle_theme(self) -> None:
        self.theme = THEMES[1] if self.theme == THEMES[0] else THEMES[0]

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette offers every action bound on the current screen, then the app's."""
        seen: set[str] = set()
        for active in screen.active_bindings.values():
            binding = active.binding
            if not binding.description or binding.description in seen or not active.enabled:
                continue
            seen.add(binding.description)
            key = self.get_key_display(binding)
            yield SystemCommand(
                binding.tooltip or binding.description,
                f"Key: {key}",
                partial(active.node.run_action, binding.action),
            )
        yield from super().get_system_commands(screen)
