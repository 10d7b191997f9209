"""Signing in, and the lock that covers everything after idle time.

Both check the PIN with :func:`asbtui.services.users.sign_in` in a thread (argon2 is slow
on purpose), so wrong PINs count towards the account's lockout whichever screen they are
typed on. A failure is the service's plain message, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Middle, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Label, Static

from asbtui.errors import AsbError
from asbtui.services import users
from asbtui.services.access import Actor
from asbtui.widgets.footer import Footer

if TYPE_CHECKING:
    from asbtui.app import AsbApp


@dataclass
class SignedIn(Message):
    actor: Actor


@dataclass
class SignInRefused(Message):
    error: str
    locked: bool = False


class _UserName(Input):
    """The user name field. Keys typed in one burst (a password manager's auto-type: the
    name, Tab or Enter, the PIN, Enter) all reach the field focused when they arrived, so
    the PIN would land in the name: Tab or Enter after a name moves the focus at once, and
    keys that still reach this field after the focus left go where it went."""

    async def _on_key(self, event: events.Key) -> None:
        focused = self.screen.focused
        if isinstance(focused, Input) and focused is not self:
            event.stop()
            event.prevent_default()
            if event.is_printable and event.character:
                focused.insert_text_at_cursor(event.character)
            elif event.key == "enter":
                await focused.action_submit()
            return
        if event.key in ("tab", "enter") and self.value.strip():
            event.stop()
            event.prevent_default()
            self.screen.set_focus(self.screen.query_one("#pin", Input))
            return
        await super()._on_key(event)


class _PinScreen(Screen[None]):
    """What the sign-in and lock screens share: a PIN checked in a worker thread."""

    @property
    def asb(self) -> AsbApp:
        return self.app  # type: ignore[return-value]

    @work(thread=True, exclusive=True, exit_on_error=False, description="Checking the PIN")
    def check_pin(self, username: str, pin: str) -> None:
        try:
            actor = users.sign_in(self.asb.store, username, pin, now=self.asb.clock())
        except AsbError as error:
            self.post_message(SignInRefused(str(error), getattr(error, "locked", False)))
            return
        except Exception as error:  # noqa: BLE001 - shown to the user, never a traceback
            self.post_message(SignInRefused(f"Could not sign in: {error}"))
            return
        self.post_message(SignedIn(actor))

    def show_error(self, message: str) -> None:
        self.query_one(".sign-in-error", Static).update(Text(message, style="bold red"))
        pin = self.query_one("#pin", Input)
        pin.value = ""
        pin.focus()


class LoginScreen(_PinScreen):
    """The first screen of a store that has users: user name and PIN."""

    BINDINGS = [Binding("ctrl+q", "app.quit", "Quit", id="login.quit")]

    def __init__(self, message: str = "") -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        with Middle(), Center(), Vertical(classes="dialog sign-in"):
            demo = " DEMO (synthetic data)" if getattr(self.app, "is_demo", False) else ""
            yield Label(Text(f"asbtui{demo}: sign in"), classes="dialog-title")
            yield Static(Text("Sign in with your user name and PIN or passphrase."),
                         classes="form-note")
            yield Label(Text("User name"), classes="field-label")
            yield _UserName(id="username", max_length=40, compact=True)
            yield Label(Text("PIN"), classes="field-label")
            yield Input(id="pin", password=True, max_length=users.PIN_MAX, compact=True)
            yield Static(Text(self.message, style="bold red"), classes="sign-in-error")
            demo_users = self._demo_users()
            if demo_users:
                yield Static(demo_users, classes="demo-users")
        yield Footer()

    def _demo_users(self) -> Text | None:
        """A demo store's users and PINs (synthetic), so that anyone can try each role."""
        from asbtui.services import demo  # faker and the demo's data: only here

        try:
            found = demo.demo_sign_ins(self.asb.store)
        except Exception:  # noqa: BLE001 - the sign-in screen works without the list
            return None
        if not found:
            return None
        lines = Text("A demo store: sign in as", style="bold")
        for username, pin, role in found:
            lines.append(f"\n  {username:<15} PIN {pin}   {role}")
        return lines

    def on_mount(self) -> None:
        self.sub_title = "sign in"
        self.query_one("#username", Input).focus()

    @on(Input.Submitted, "#username")
    def to_pin(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            # At once, not after a refresh: a quick typist's PIN must not land in the name.
            self.set_focus(self.query_one("#pin", Input))

    @on(Input.Submitted, "#pin")
    def submit(self, event: Input.Submitted) -> None:
        event.stop()
        username = self.query_one("#username", Input).value
        if not username.strip():
            self.show_error("Type your user name first.")
            self.query_one("#username", Input).focus()
            return
        if not event.value:
            self.show_error("Type your PIN.")
            return
        self.query_one(".sign-in-error", Static).update(Text("Checking…", style="dim"))
        self.check_pin(username, event.value)

    @on(SignInRefused)
    def refused(self, message: SignInRefused) -> None:
        self.show_error(message.error)

    @on(SignedIn)
    def signed_in(self, message: SignedIn) -> None:
        self.query_one("#pin", Input).value = ""
        self.asb.start_session()


class LockScreen(_PinScreen):
    """Covers every screen after idle time: the same user's PIN goes on, or sign out."""

    BINDINGS = [
        Binding("ctrl+o", "sign_out", "Sign out", id="lock.sign_out"),
        Binding("ctrl+q", "app.quit", "Quit", id="lock.quit"),
    ]

    def __init__(self, actor: Actor) -> None:
        super().__init__()
        self.actor = actor
        self.failures = 0

    def compose(self) -> ComposeResult:
        with Middle(), Center(), Vertical(classes="dialog sign-in"):
            yield Label(Text("asbtui is locked"), classes="dialog-title")
            yield Static(
                Text.assemble("Signed in: ", Text(self.actor.label),
                              "\nType your PIN to go on, or ctrl+o to sign out."),
                classes="form-note",
            )
            yield Label(Text("PIN"), classes="field-label")
            yield Input(id="pin", password=True, max_length=users.PIN_MAX, compact=True)
            yield Static("", classes="sign-in-error")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#pin", Input).focus()

    @on(Input.Submitted, "#pin")
    def submit(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value:
            self.show_error("Type your PIN.")
            return
        self.query_one(".sign-in-error", Static).update(Text("Checking…", style="dim"))
        self.check_pin(self.actor.username, event.value)

    @on(SignInRefused)
    def refused(self, message: SignInRefused) -> None:
        self.failures += 1
        # Once the account locks, nobody may go on here: back to the sign-in screen.
        if self.failures >= users.MAX_FAILED_SIGN_INS or message.locked:
            self.asb.sign_out(message.error)
            return
        self.show_error(message.error)

    @on(SignedIn)
    def signed_in(self, message: SignedIn) -> None:
        self.asb.unlock()

    def action_sign_out(self) -> None:
        self.asb.sign_out()
