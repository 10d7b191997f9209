"""The Textual app: screens, app-wide keys, command palette entries and theme."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from asbtui.config import Settings
from asbtui.dates import utc_now
from asbtui.models import District
from asbtui.screens.case import CaseScreen
from asbtui.screens.help import HelpScreen
from asbtui.screens.login import LockScreen, LoginScreen
from asbtui.screens.queue import QueueScreen
from asbtui.services import access, cases, users
from asbtui.services.access import LOCAL, Actor, Permission
from asbtui.widgets.permitted import PermittedActions

if TYPE_CHECKING:
    from asbtui.db import Store

THEMES = ("textual-dark", "textual-light")
IDLE_CHECK_SECONDS = 5
# What may still be done on the sign-in and lock screens (nothing that shows data).
WHILE_LOCKED = frozenset({"quit", "help", "toggle_theme", "sign_out", "focus_next",
                          "focus_previous"})


class AsbApp(PermittedActions, App[None]):
    """asbtui: the district queue and the case screen, over a local store."""

    CSS_PATH = "app.tcss"
    TITLE = "asbtui"
    BINDINGS = [
        Binding("f1", "help", "Help", id="app.help"),
        Binding("question_mark", "help", "Help", show=False, id="app.help_q"),
        Binding("ctrl+t", "toggle_theme", "Light/dark", show=False, id="app.theme"),
        Binding("f2", "my_day", "My day",
                tooltip="My day: what is due today, this week and overdue", show=False,
                id="app.my_day"),
        Binding("f3", "patterns", "Patterns", tooltip="Patterns of concern (repeats, hotspots)",
                show=False, id="app.patterns"),
        Binding("f4", "case_reviews", "Case reviews",
                tooltip="ASB Case Reviews, and open cases meeting the threshold", show=False,
                id="app.case_reviews"),
        Binding("f6", "problems", "Problems", tooltip="Problem profiles (SARA)", show=False,
                id="app.problems"),
        Binding("f7", "trends", "Trends", tooltip="Trends: reports per week, high-risk share",
                show=False, id="app.trends"),
        Binding("f8", "users", "Users", tooltip="Users: add, unlock, disable", show=False,
                id="app.users"),
        Binding("f9", "agencies", "Agencies",
                tooltip="Partner agencies: contacts and information sharing agreements",
                show=False, id="app.agencies"),
        Binding("ctrl+r", "retention", "Retention",
                tooltip="Retention review: closed cases due for review or erasure",
                show=False, id="app.retention"),
        Binding("f12", "audit_log", "Audit log",
                tooltip="Audit log of the store: recent events by user; verify the chain",
                show=False, id="app.audit_log"),
        Binding("ctrl+k", "change_pin", "Change PIN", tooltip="Change my PIN", show=False,
                id="app.change_pin"),
        Binding("ctrl+l", "lock", "Lock", tooltip="Lock the screen now", show=False,
                id="app.lock"),
        Binding("ctrl+o", "sign_out", "Sign out", tooltip="Sign out (back to sign-in)",
                show=False, id="app.sign_out"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
    ]
    ACTION_PERMISSIONS: ClassVar[dict[str, Permission]] = {
        "my_day": Permission.READ_CASES,
        "patterns": Permission.READ_OVERVIEWS,
        "case_reviews": Permission.READ_OVERVIEWS,
        "problems": Permission.READ_OVERVIEWS,
        "trends": Permission.READ_OVERVIEWS,
        "users": Permission.MANAGE_USERS,
        "agencies": Permission.READ_AGENCIES,
        "retention": Permission.REVIEW_RETENTION,
        "audit_log": Permission.READ_AUDIT,
    }

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
        self.has_users = False
        """Whether the store has users (then someone must sign in); checked at start."""
        self.last_activity = clock()
        """When the user last pressed a key or used the mouse (for the idle lock)."""

    # ------------------------------------------------------------------ who is working

    @property
    def actor(self) -> Actor | None:
        """Who is working: the signed-in user, ``local`` on a store without users, or
        None while nobody has signed in."""
        actor = getattr(self.store, "actor", None)
        if isinstance(actor, Actor):
            return actor
        return None if self.has_users else LOCAL

    @property
    def locked(self) -> bool:
        """Whether the sign-in or lock screen is up (nothing else may show)."""
        stack = self.screen_stack
        return bool(stack) and isinstance(stack[-1], (LoginScreen, LockScreen))

    def on_mount(self) -> None:
        self.theme = (
            self.settings.theme if self.settings.theme in self.available_themes else (THEMES[0])
        )
        self.has_users = access.has_users(self.store)
        self.set_interval(IDLE_CHECK_SECONDS, self.lock_when_idle)
        if self.actor is None:
            self.push_screen(LoginScreen())
        else:
            self.start_session()

    def start_session(self) -> None:
        """After signing in (or at start on a store without users): the actor's home, with
        a signed-in user's My day over it (``my_day_at_sign_in``)."""
        self.last_activity = self.clock()
        self._clear_screens()
        actor = self.actor or LOCAL
        self.sub_title = "" if actor.is_local else actor.label
        if not actor.may(Permission.READ_CASES):
            from asbtui.screens.users import UsersScreen

            self.push_screen(UsersScreen(home=True))
            return
        officer = cases.device_officer(self.store) if actor.is_police else None
        if actor.is_partner:
            district = None  # partners see the cases shared with them, in any district
        elif actor.districts:
            own = officer.district if officer and officer.district in actor.districts else None
            district = own or sorted(actor.districts)[0]
        else:
            district = officer.district if officer else District.THA
        self.push_screen(QueueScreen(district, officer))
        if self.settings.my_day_at_sign_in and not actor.is_local:
            self.action_my_day()

    def _clear_screens(self) -> None:
        while len(self.screen_stack) > 1:
            self.pop_screen()

    def sign_out(self, message: str = "") -> None:
        """Back to the sign-in screen, with every screen of the session closed."""
        users.sign_out(self.store)
        self.has_users = access.has_users(self.store)
        self.clear_notifications()
        self._clear_screens()
        self.sub_title = ""
        if self.has_users:
            self.push_screen(LoginScreen(message))
        else:
            self.start_session()

    def action_sign_out(self) -> None:
        self.sign_out()

    def lock(self) -> None:
        """Cover everything until the same user types their PIN again."""
        actor = self.actor
        if actor is None or actor.is_local or self.locked:
            return
        self.clear_notifications()  # a notification may quote personal data
        self.push_screen(LockScreen(actor))

    def unlock(self) -> None:
        self.last_activity = self.clock()
        if isinstance(self.screen, LockScreen):
            self.pop_screen()

    def action_lock(self) -> None:
        self.lock()

    def lock_when_idle(self) -> None:
        """Lock after ``idle_lock_minutes`` without a key or mouse event (runs on a timer)."""
        if self.locked:
            return
        idle = self.clock() - self.last_activity
        if idle >= timedelta(minutes=self.settings.idle_lock_minutes):
            self.lock()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent) and not event.is_forwarded:
            self.last_activity = self.clock()
        await super().on_event(event)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.locked and action not in WHILE_LOCKED:
            return False
        if action in ("sign_out", "lock", "change_pin"):
            actor = self.actor
            return actor is not None and not actor.is_local
        return super().check_action(action, parameters)

    def open_case(self, ref: str, on_close: Callable[[bool], None] | None = None) -> None:
        self.push_screen(CaseScreen(ref), on_close)

    def action_my_day(self) -> None:
        from asbtui.screens.my_day import MyDayScreen

        if not isinstance(self.screen, MyDayScreen):
            self.push_screen(MyDayScreen())

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

    def action_users(self) -> None:
        from asbtui.screens.users import UsersScreen

        if not isinstance(self.screen, UsersScreen):
            self.push_screen(UsersScreen())

    def action_agencies(self) -> None:
        from asbtui.screens.agencies import AgenciesScreen

        if not isinstance(self.screen, AgenciesScreen):
            self.push_screen(AgenciesScreen())

    def action_retention(self) -> None:
        from asbtui.screens.retention import RetentionScreen

        if not isinstance(self.screen, RetentionScreen):
            self.push_screen(RetentionScreen())

    def action_audit_log(self) -> None:
        from asbtui.screens.audit_log import AuditLogScreen

        if not isinstance(self.screen, AuditLogScreen):
            self.push_screen(AuditLogScreen())

    def action_change_pin(self) -> None:
        from asbtui.screens.pin import ChangePinForm

        actor = self.actor
        if actor is None or actor.is_local:
            return

        def done(changed: bool | None) -> None:
            if changed:
                self.notify("Your PIN is changed: use the new one from now on.",
                            title="Saved", markup=False)
            elif changed is False:
                # Wrong current PINs count towards the lock-out, as at sign-in.
                self.sign_out("Too many wrong PINs: the account is locked. Wait, or ask an "
                              "admin to unlock it.")

        self.push_screen(ChangePinForm(self.store, actor), done)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.screen))

    def action_toggle_theme(self) -> None:
        self.theme = THEMES[1] if self.theme == THEMES[0] else THEMES[0]

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette offers every action bound on the current screen, then the app's."""
        if self.locked:
            return
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
