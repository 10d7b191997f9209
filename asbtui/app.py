"""The Textual app: screens, app-wide keys, command palette entries and theme."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from asbtui.config import Settings
from asbtui.dates import format_datetime, utc_now
from asbtui.errors import AsbError
from asbtui.literal import plural
from asbtui.models import District
from asbtui.preferences import Preferences
from asbtui.screens.queue import QueueScreen
from asbtui.services import access, cases, store_admin, users
from asbtui.services.access import LOCAL, Actor, Permission
from asbtui.services.cases import OfficerView
from asbtui.widgets.permitted import PermittedActions

if TYPE_CHECKING:
    from textual.command import Provider
    from textual.dom import DOMNode

    from asbtui.db import Store
    from asbtui.screens.case import CaseScreen
    from asbtui.sync.engine import SyncReport

THEMES = ("textual-dark", "textual-light")
IDLE_CHECK_SECONDS = 5
SYNC_STATUS_SECONDS = 30
FIRST_FRAME_GRACE = 0.2
"""Seconds the work that follows a view's first page (its count, the review and day marks,
the header's sync state) waits once the page's frame is handed to Textual's writer thread.

A frame of the queue is 35-45 kB; a terminal reading it slowly (over SSH, or the bench's
emulator: 50-100 ms, more on a busy machine) is still receiving it when that work starts,
and the work then both takes the processor and keeps the writer thread from the GIL
between its writes: the frame arrives later. Textual gives no signal that a frame has been
written out (the writer thread's queue empties before its write returns, and a pty holds
some 20 kB more of it), so this is a grace period. Headless (tests, screenshots), with no
terminal to wait for, the work starts after the refresh as before."""
# What may still be done on the sign-in and lock screens (nothing that shows data).
WHILE_LOCKED = frozenset({"quit", "help", "toggle_theme", "sign_out", "focus_next",
                          "focus_previous"})
HOME = "queue"
"""The view escape leads back to from every other top-level view."""
LOGIN_MODE = "sign_in"
CASE_SCREEN = "case"
"""The name the kept case screen is installed under (see ``AsbApp._case_screen``)."""
"""The first mode: a blank screen under the sign-in screen; no view outlives a session."""


def _queue(app: AsbApp, district: District | None) -> Screen:
    actor = app.actor or LOCAL
    if not actor.may(Permission.READ_CASES):
        from asbtui.screens.users import UsersScreen

        return UsersScreen(home=True)
    return QueueScreen(app.home_district() if district is None else district, app.officer)


def _dashboard(app: AsbApp, _district: District | None) -> Screen:
    from asbtui.screens.dashboard import DashboardScreen

    actor = app.actor or LOCAL
    districts = tuple(d for d in District if d in actor.districts)
    return DashboardScreen(app.officer, districts=districts, home=app.home_district())


def _patterns(_app: AsbApp, district: District | None) -> Screen:
    from asbtui.screens.patterns import PatternsScreen

    return PatternsScreen(district)


def _case_reviews(_app: AsbApp, district: District | None) -> Screen:
    from asbtui.screens.case_review import CaseReviewsScreen

    return CaseReviewsScreen(district)


def _problems(_app: AsbApp, district: District | None) -> Screen:
    from asbtui.screens.problems import ProblemsScreen

    return ProblemsScreen(district)


def _trends(_app: AsbApp, district: District | None) -> Screen:
    from asbtui.screens.trends import TrendsScreen

    return TrendsScreen(district)


def _deadlines(_app: AsbApp, district: District | None) -> Screen:
    from asbtui.screens.deadlines import DeadlinesScreen

    return DeadlinesScreen(district)


def _pspos(_app: AsbApp, district: District | None) -> Screen:
    from asbtui.screens.pspo import PspoScreen

    return PspoScreen(district)


def _my_day(_app: AsbApp, _district: District | None) -> Screen:
    from asbtui.screens.my_day import MyDayScreen

    return MyDayScreen()


def _audit_log(_app: AsbApp, _district: District | None) -> Screen:
    from asbtui.screens.audit_log import AuditLogScreen

    return AuditLogScreen()


def _case_ref_commands() -> type[Provider]:
    """The palette's case references, loaded when the palette first opens."""
    from asbtui.screens.goto import CaseRefCommands

    return CaseRefCommands


@dataclass(frozen=True)
class View:
    """A top-level view: a place the user switches to (a Textual mode), never a stack.

    It is made the first time it is opened, for the district then in view, and kept as
    left (district, filters, highlighted row) until the session ends; drill-downs from it
    (a case, a pattern's cases) stack on it and pop back to it.
    """

    title: str
    make: Callable[[AsbApp, District | None], Screen]
    permission: Permission | None = None


VIEWS: dict[str, View] = {
    HOME: View("District queue", _queue),
    "my_day": View("My day", _my_day, Permission.READ_CASES),
    "dashboard": View("Supervisor dashboard", _dashboard, Permission.READ_OVERVIEWS),
    "patterns": View("Patterns of concern", _patterns, Permission.READ_OVERVIEWS),
    "case_reviews": View("ASB Case Reviews", _case_reviews, Permission.READ_OVERVIEWS),
    "problems": View("Problem profiles", _problems, Permission.READ_OVERVIEWS),
    "trends": View("Trends", _trends, Permission.READ_OVERVIEWS),
    "deadlines": View("Deadlines", _deadlines, Permission.READ_OVERVIEWS),
    "pspos": View("PSPO register", _pspos, Permission.READ_OVERVIEWS),
    "audit_log": View("Audit log", _audit_log, Permission.READ_AUDIT),
}
LANDING = {"supervisor": ("dashboard",)}
"""Where a role starts (the first of these views it may open); others start at HOME. A
signed-in user starts at My day before these when ``my_day_at_sign_in`` is on."""


class AsbApp(PermittedActions, App[None]):
    """asbtui: the district queue and the case screen, over a local store."""

    CSS_PATH = "app.tcss"
    MODES: ClassVar[dict[str, str | Callable[[], Screen]]] = {LOGIN_MODE: Screen}
    DEFAULT_MODE: ClassVar[str] = LOGIN_MODE
    TITLE = "asbtui"
    BINDINGS = [
        Binding("f1", "help", "Help", id="app.help"),
        Binding("question_mark", "help", "Help", show=False, id="app.help_q"),
        Binding("ctrl+t", "toggle_theme", "Light/dark", show=False, id="app.theme"),
        Binding("ctrl+g", "go_to_case", "Go to case",
                tooltip="Go to a case by its reference (or its first characters), any district",
                show=False, id="app.go_to_case"),
        Binding("ctrl+f", "find_person", "Find a person",
                tooltip="Find a person across the force: name, date of birth, address, phone",
                show=False, id="app.find_person"),
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
        Binding("f11", "conflicts", "Conflicts", tooltip="Sync conflicts to settle (supervisors)",
                show=False, id="app.conflicts"),
        Binding("ctrl+y", "sync", "Sync", tooltip="Sync with the central store (push, then pull)",
                show=False, id="app.sync"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
    ]
    COMMANDS = App.COMMANDS | {_case_ref_commands}
    ACTION_PERMISSIONS: ClassVar[dict[str, Permission]] = {
        "go_to_case": Permission.READ_CASES,
        "find_person": Permission.VIEW_PEOPLE,
        "my_day": Permission.READ_CASES,
        "patterns": Permission.READ_OVERVIEWS,
        "case_reviews": Permission.READ_OVERVIEWS,
        "problems": Permission.READ_OVERVIEWS,
        "trends": Permission.READ_OVERVIEWS,
        "users": Permission.MANAGE_USERS,
        "agencies": Permission.READ_AGENCIES,
        "retention": Permission.REVIEW_RETENTION,
        "audit_log": Permission.READ_AUDIT,
        "conflicts": Permission.CLOSE_CASES,  # supervisors settle conflicts
    }

    def __init__(
        self,
        store: Store,
        settings: Settings | None = None,
        clock: Callable[[], datetime] = utc_now,
        *,
        start_view: str | None = None,
        preferences: Preferences | None = None,
    ) -> None:
        """``start_view`` overrides where a session starts (by default the role's view)."""
        super().__init__()
        self.start_view = start_view
        self.preferences = preferences or Preferences()
        """Each user's interface choices (the queue's columns), kept between runs."""
        self.store = store
        self.settings = settings or Settings()
        self.clock = clock
        """Gives 'now'; tests pass a fixed clock so that 'overdue' does not move."""
        self.has_users = False
        """Whether the store has users (then someone must sign in); checked at start."""
        self.last_activity = clock()
        """When the user last pressed a key or used the mouse (for the idle lock)."""
        self.officer: OfficerView | None = None
        """The signed-in officer (or this device's), for "my cases" and the home district."""
        self._views: set[str] = set()
        """The top-level views (modes) opened in this session."""
        self.is_demo = False
        """Whether the store is a demo of synthetic data (built by ``asbtui demo``): the
        sign-in screen and the queue's header say DEMO."""
        self.first_frame_grace: float | None = None
        """Seconds for ``after_first_frame`` to wait (None: FIRST_FRAME_GRACE in a
        terminal, none headless)."""

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
    def user_key(self) -> str:
        """Whose preferences apply: the signed-in user's name (``local`` without users)."""
        actor = self.actor
        return actor.username if actor is not None else "local"

    @property
    def locked(self) -> bool:
        """Whether the sign-in or lock screen is up (nothing else may show)."""
        stack = self.screen_stack
        # Imported when first shown (a user signed in with --user never sees them): while
        # their module is not loaded, no such screen can be up.
        login = sys.modules.get("asbtui.screens.login")
        return bool(stack) and login is not None and isinstance(
            stack[-1], (login.LoginScreen, login.LockScreen))

    def on_mount(self) -> None:
        self.theme = (
            self.settings.theme if self.settings.theme in self.available_themes else (THEMES[0])
        )
        self.has_users = access.has_users(self.store)
        self.is_demo = store_admin.is_demo(self.store)
        if self.is_demo:
            self.title = "asbtui DEMO (synthetic data)"
        self.set_interval(IDLE_CHECK_SECONDS, self.lock_when_idle)
        self.set_interval(SYNC_STATUS_SECONDS, self.show_sync_status)
        if self.actor is None:
            from asbtui.screens.login import LoginScreen

            self.push_screen(LoginScreen())
        else:
            self.start_session()

    def start_session(self) -> None:
        """After signing in (or at start on a store without users): the actor's home: My
        day for a signed-in user (``my_day_at_sign_in``), else their role's landing view."""
        self.last_activity = self.clock()
        self._close_views()
        actor = self.actor or LOCAL
        # The sync state (two queries, read without the sync engine: asbtui.sync.state)
        # is not needed for the first frame: it follows it.
        self.show_sync_status(sync=False)
        self.after_first_frame(self.show_sync_status)
        self.officer = (
            cases.device_officer(self.store)
            if actor.is_police and actor.may(Permission.READ_CASES) else None
        )
        starts = LANDING.get(actor.role_name, ())
        if self.settings.my_day_at_sign_in and not actor.is_local:
            starts = ("my_day", *starts)
        landing = self.start_view or next(
            (name for name in starts if name in VIEWS and self._may_view(name)), HOME)
        self.show_view(landing)

    def after_first_frame(self, callback: Callable[..., object], *args: object,
                          node: DOMNode | None = None) -> None:
        """Run ``callback(*args)`` after the frame being drawn, once it has had time to
        reach the terminal (``FIRST_FRAME_GRACE``): for the work that follows a view's
        first page, which must not slow that page's way to the screen. ``node`` (the app
        by default) owns the wait: a screen removed meanwhile runs nothing."""
        node = node or self
        grace = self.first_frame_grace
        if grace is None:
            grace = 0.0 if self.is_headless else FIRST_FRAME_GRACE
        if grace <= 0:
            node.call_after_refresh(callback, *args)
        else:
            node.call_after_refresh(node.set_timer, grace, partial(callback, *args))

    def home_district(self) -> District | None:
        """The district a session starts in: the officer's own, else the first of the
        actor's districts; None (all districts) for a partner."""
        actor = self.actor or LOCAL
        officer = self.officer
        if actor.is_partner:
            return None  # partners see the cases shared with them, in any district
        if actor.districts:
            own = officer.district if officer and officer.district in actor.districts else None
            return own or sorted(actor.districts)[0]
        return officer.district if officer else District.THA

    # ------------------------------------------------------------------ views

    def _may_view(self, name: str) -> bool:
        permission = VIEWS[name].permission
        actor = self.actor
        return actor is not None and (permission is None or actor.may(permission))

    def _district_in_view(self) -> District | None:
        """The district of the screen in view: the queue's, or a list screen's."""
        query = getattr(self.screen, "query_now", None)
        district = query.district if query else getattr(self.screen, "district", None)
        return district if isinstance(district, District) else None

    def show_view(self, name: str) -> None:
        """Switch to a top-level view: made on first use for the district in view, then
        returned to as it was left."""
        if self.locked or not self._may_view(name) or name == self.current_mode:
            return
        returning = name in self._views
        if not returning:
            district = self._district_in_view() if self.current_mode != LOGIN_MODE else None
            self.add_mode(name, partial(VIEWS[name].make, self, district))
            self._views.add(name)
        self.switch_mode(name)
        base = self.screen_stack[0]
        if returning and hasattr(base, "view_returned"):
            base.view_returned()

    def back(self, screen: Screen, result: object = None) -> None:
        """Escape on ``screen``: a drill-down pops; a top-level view goes to the queue."""
        if len(self.screen_stack) > 1 and self.screen is screen:
            screen.dismiss(result)
        elif self.current_mode != HOME:
            self.show_view(HOME)

    def _close_views(self) -> None:
        """Close every view of the session, back to the bare sign-in mode."""
        if self.current_mode != LOGIN_MODE:
            self.switch_mode(LOGIN_MODE)
        for name in self._views:
            self.remove_mode(name)
        self._views.clear()
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self._drop_case_screen()

    def sign_out(self, message: str = "") -> None:
        """Back to the sign-in screen, with every screen of the session closed."""
        users.sign_out(self.store)
        self.has_users = access.has_users(self.store)
        self.clear_notifications()
        self._close_views()
        self.sub_title = ""
        if self.has_users:
            from asbtui.screens.login import LoginScreen

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
        from asbtui.screens.login import LockScreen

        self.clear_notifications()  # a notification may quote personal data
        self.push_screen(LockScreen(actor))

    def unlock(self) -> None:
        self.last_activity = self.clock()
        from asbtui.screens.login import LockScreen

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
        self.push_screen(self._case_screen(ref), on_close)

    def _case_screen(self, ref: str) -> CaseScreen:
        """The case screen for ``ref``: one is kept (installed) and refilled for each case
        opened, composed once a session; a new one only while the kept one is in use (a
        linked case opened from a case, or a case left open in another view)."""
        from asbtui.screens.case import CaseScreen

        if not self.is_screen_installed(CASE_SCREEN):
            screen = CaseScreen(ref)
            self.install_screen(screen, CASE_SCREEN)
            return screen
        kept = self.get_screen(CASE_SCREEN)
        if not isinstance(kept, CaseScreen) or self._in_a_stack(kept):
            return CaseScreen(ref)
        kept.reopen(ref)
        return kept

    def _in_a_stack(self, screen: Screen) -> bool:
        return any(screen in stack for stack in self._screen_stacks.values())

    def _drop_case_screen(self) -> None:
        """Forget the kept case screen (at sign-out): nothing of a session outlives it."""
        if not self.is_screen_installed(CASE_SCREEN):
            return
        kept = self.get_screen(CASE_SCREEN)
        self.uninstall_screen(CASE_SCREEN)
        if not self._in_a_stack(kept):
            kept.remove()

    def action_go_to_case(self) -> None:
        from asbtui.screens.goto import GoToCaseScreen

        if isinstance(self.screen, GoToCaseScreen):
            return

        def chosen(ref: str | None) -> None:
            if ref:
                self.open_case(ref)

        self.push_screen(GoToCaseScreen(), chosen)

    def action_find_person(self) -> None:
        from asbtui.screens.people import PeopleScreen, PersonSearchForm

        if isinstance(self.screen, PersonSearchForm):
            return

        def chosen(query: object) -> None:
            if query is not None:
                self.push_screen(PeopleScreen(query))  # type: ignore[arg-type]

        self.push_screen(PersonSearchForm(), chosen)

    def action_my_day(self) -> None:
        self.show_view("my_day")

    def action_patterns(self) -> None:
        self.show_view("patterns")

    def action_problems(self) -> None:
        self.show_view("problems")

    def action_trends(self) -> None:
        self.show_view("trends")

    def action_case_reviews(self) -> None:
        self.show_view("case_reviews")

    def action_users(self) -> None:
        from asbtui.screens.users import UsersScreen

        if not isinstance(self.screen, UsersScreen):
            self.push_screen(UsersScreen())

    def action_conflicts(self) -> None:
        from asbtui.screens.conflicts import ConflictsScreen
        from asbtui.sync import engine as sync_engine

        if not sync_engine.status(self.store).enrolled:
            self.notify("This device is not enrolled with a central store.", severity="warning")
        elif not isinstance(self.screen, ConflictsScreen):
            self.push_screen(ConflictsScreen())

    def action_agencies(self) -> None:
        from asbtui.screens.agencies import AgenciesScreen

        if not isinstance(self.screen, AgenciesScreen):
            self.push_screen(AgenciesScreen())

    def action_retention(self) -> None:
        from asbtui.screens.retention import RetentionScreen

        if not isinstance(self.screen, RetentionScreen):
            self.push_screen(RetentionScreen())

    def action_audit_log(self) -> None:
        self.show_view("audit_log")

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
        from asbtui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.screen))

    def refresh_css(self, animate: bool = True) -> None:
        """Textual parses every stylesheet again (the app's and each widget's) and restyles
        every widget when a screen first shows in a mode: three times as the app starts
        (the sign-in mode, then the queue's), some 50 ms before the first frame. While the
        CSS has never been invalidated (no theme change) and its variables are those it
        was parsed with, that gives the rules already in force, and a new screen is styled
        as it is mounted: nothing to do."""
        if (self._css_update_count == 0
                and self.stylesheet._variables == self.get_css_variables()):
            return
        super().refresh_css(animate)

    # ------------------------------------------------------------------ sync

    def show_sync_status(self, progress: str = "", *, sync: bool = True) -> None:
        """The header: who is working and, on an enrolled device, the last sync and the
        local changes waiting to go (``sync=False``: who is working alone, for the first
        frame; the sync state is read after it)."""
        actor = self.actor
        parts = [] if actor is None or actor.is_local else [actor.label]
        if sync:
            # The state alone, not the engine: it imports every table of the store.
            from asbtui.sync import state as sync_state

            state = sync_state.status(self.store)
            if state.enrolled:
                when = format_datetime(datetime.fromisoformat(state.last_sync)) \
                    if state.last_sync else "never"
                parts.append(progress or f"synced {when}, {state.pending:,} waiting")
        self.sub_title = " · ".join(parts)

    def action_sync(self) -> None:
        from asbtui.sync import engine as sync_engine

        if not sync_engine.status(self.store).enrolled:
            self.notify("This device is not enrolled with a central store "
                        "(asbtui sync enrol URL CODE).", severity="warning")
            return
        self.show_sync_status("syncing…")
        self.sync_in_background()

    @work(thread=True, exclusive=True, exit_on_error=False, group="sync",
          description="Syncing")
    def sync_in_background(self) -> None:
        from asbtui.sync import engine as sync_engine
        from asbtui.sync.transport import HttpTransport

        actor = self.actor or LOCAL
        counts = {"pages": 0}

        def progress(step: str) -> None:
            if step == "cursor saved":
                counts["pages"] += 1
                self.call_from_thread(self.show_sync_status,
                                      f"syncing… {plural(counts['pages'], 'page')} in")

        try:
            url, key = sync_engine.credentials(self.store)
            transport = HttpTransport(url, key, actor.username)
            try:
                report = sync_engine.sync(self.store, transport, checkpoint=progress)
            finally:
                transport.close()
        except AsbError as error:
            self.call_from_thread(self._sync_failed, str(error))
            return
        self.call_from_thread(self._synced, report)

    def _sync_failed(self, message: str) -> None:
        self.show_sync_status()
        self.notify(message, title="Sync", severity="error", markup=False)

    def _synced(self, report: SyncReport) -> None:
        self.show_sync_status()
        text = f"Pushed {report.pushed:,}, pulled {report.pulled:,}."
        if report.conflicts:
            text += (f" {plural(len(report.conflicts), 'conflict')}: the central values were kept; "
                     "a supervisor settles them (asbtui conflicts list).")
        if report.refused:
            text += (f" {plural(len(report.refused), 'change')} refused by the central store "
                     "(outside your role or districts): its records stand (asbtui sync refusals).")
        self.notify(text, title="Sync", severity="warning" if report.conflicts
                    or report.refused else "information", markup=False)
        refresh = getattr(self.screen, "action_refresh", None)
        if callable(refresh):
            refresh()

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
        for name, view in VIEWS.items():
            if name != self.current_mode and self._may_view(name):
                yield SystemCommand(f"Go to: {view.title}",
                                    "Switch to this view, as you left it",
                                    partial(self.show_view, name))
        yield from super().get_system_commands(screen)
