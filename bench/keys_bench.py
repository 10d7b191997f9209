"""Keys to repaint, and the first painted queue, as a person sees them: in a pty.

    python bench/keys_bench.py STORE [STORE ...] [--rounds 3] [--keys 12] [--paints 5]

Each STORE (a copy: the app may migrate or analyse it) is opened by ``asbtui --db STORE
--user pc.thanet`` (a demo officer of Thanet, signed in, My day off, so the queue is the
first screen) in a 120x40 pseudo-terminal; its output is read by a terminal emulator
(pyte), in a thread that stamps each chunk as it arrives. Timed, from the key written to
the last byte of the repaint it causes (no output for 120 ms after, the expected text on
the screen):

- move down (the highlighted row and the detail line under the table);
- page down;
- enter: the case opened and drawn with its data ("Incidents (N)" on the screen);
- escape: back to the queue.

The floor is a bare Textual app doing the same, spawned in the same way in the same run,
rounds interleaved with the app's: a DataTable of a 100-row page with the queue's
columns, a title and a status line; enter pushes a screen of a header and five filled
DataTables (composed once, then refilled for each case), escape pops it. Both start with
ESCDELAY=10 (Textual waits that long after a lone escape byte for more; 100 ms by
default, the same for both).

Also the first painted queue: from the spawn to the queue's first page on the screen,
against a bare Textual app with an empty DataTable that has imported SQLModel (its
header on the screen). Printed as wall time (p50, p95; ratio to the floor) and as the
CPU time the program used (user + system, read from /proc: steadier on a shared
machine, mean per key; 10 ms ticks).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from pty_term import Term  # noqa: E402 - beside this file

USER, PIN = "pc.thanet", "271828"
QUEUE_READY = re.compile(r"\d[\d,]* of (…|[\d,]+\+?) cases? · sorted by")
COUNTED = re.compile(r"\d[\d,]* of [\d,]+\+? cases? · sorted by")
CASE_READY = re.compile(r"Incidents \(\d+\)")
FLOOR_READY = "Summary"
KINDS = ("down", "pagedown", "enter", "escape")


# ---------------------------------------------------------------------------- floor apps


def floor_app(kind: str) -> None:
    """The bare apps the figures are measured against (run as a child process)."""
    import sqlmodel  # noqa: F401 - the floor has imported what the app's data side needs
    from rich.text import Text
    from textual.app import App, ComposeResult
    from textual.binding import Binding
    from textual.screen import Screen
    from textual.widgets import DataTable, Footer, Static

    if kind == "empty":
        class Empty(App[None]):
            def compose(self) -> ComposeResult:
                yield DataTable()

            def on_mount(self) -> None:
                self.query_one(DataTable).add_columns("Ref", "Summary")

        Empty().run()
        return

    columns = ["Ref", "Risk", "Next due", "Status", "Location", "Summary", "Owner",
               "Category", "Opened"]
    sections = {
        "People": (["Role", "Name", "Vulnerable", "Born", "Address", "Phone"], 3),
        "Incidents": (["When", "Channel", "Type", "Description", "Crime ref"], 4),
        "Partner notes": (["Date", "Agency", "Author", "Seen by", "Note"], 1),
        "Enforcement actions": (["Power", "Stage", "Since", "Next deadline", "Concerns"], 1),
        "Deadlines": (["Due", "Deadline", "Status", "Law"], 2),
    }

    class CaseLike(Screen[None]):
        """Composed once, then refilled for each case (the least Textual can do)."""

        BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

        def compose(self) -> ComposeResult:
            yield Static(id="header")
            yield Static("Location: 12 Invicta Road, Margate CT9 1AA\nLoud music at night")
            for title, (headings, _rows) in sections.items():
                yield Static(Text(title, style="bold"), classes="title")
                table = DataTable(cursor_type="row", zebra_stripes=True)
                table.add_columns(*headings)
                table.styles.height = "auto"
                yield table
            yield Static("", id="row-detail")
            yield Footer()

        def fill(self, ref: str) -> None:
            self.query_one("#header", Static).update(
                Text(f"{ref}  HIGH  Open\nThanet · Nuisance"))
            titles, tables = self.query(".title"), self.query(DataTable)
            for (title, (headings, rows)), label, table in zip(
                    sections.items(), titles, tables, strict=True):
                label.update(Text(f"{title} ({rows})", style="bold"))
                table.clear()
                for r in range(rows):
                    table.add_row(*(f"{h.lower()} {r} of {ref}" for h in headings))

    class QueueLike(App[None]):
        CSS = "DataTable {height: 1fr;} #detail {height: 3;}"

        def compose(self) -> ComposeResult:
            yield Static(Text("Thanet (THA) · open cases", style="bold"))
            yield DataTable(cursor_type="row", zebra_stripes=True, id="queue")
            yield Static(id="detail")
            yield Static("100 of 50,000 cases · sorted by urgency · 25/11/2026")
            yield Footer()

        def on_mount(self) -> None:
            table = self.query_one("#queue", DataTable)
            for label, width in zip(columns, (12, 12, 17, 13, 25, 29, 16, 13, 10), strict=True):
                table.add_column(label, width=width)
            self.add_page(table)
            table.focus()

        def add_page(self, table: DataTable) -> None:
            # Pages of 100, the next added as the cursor nears the end, as the queue does.
            start = table.row_count
            for i in range(start, start + 100):
                table.add_row(f"THA-26-{i:05d}", "HIGH V", "review 3d", "Open",
                              f"{i} Invicta Road, Margate", "Loud music and parties late "
                              "at night at the flat above", "PC 4512 Smith", "Nuisance",
                              "01/11/2026", key=f"THA-26-{i:05d}")

        def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
            if event.data_table.id != "queue":
                return
            self.query_one("#detail", Static).update(f"{event.row_key.value} · high risk")
            if event.cursor_row >= event.data_table.row_count - 20:
                self.add_page(event.data_table)

        async def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
            ref = str(event.row_key.value)
            if event.data_table.id != "queue":
                return
            if not self.is_screen_installed("case"):
                screen = CaseLike()
                self.install_screen(screen, "case")
                await self.push_screen(screen)
                screen.fill(ref)
                return
            self.get_screen("case").fill(ref)
            self.push_screen("case")

    QueueLike().run()


# ---------------------------------------------------------------------------- sessions


def environment(home: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASBTUI_")}
    env |= {"HOME": home, "XDG_CONFIG_HOME": f"{home}/config", "XDG_DATA_HOME": f"{home}/data",
            "TERM": "xterm-256color", "COLORTERM": "truecolor", "ESCDELAY": "10",
            "ASBTUI_PIN": PIN, "ASBTUI_MY_DAY_AT_SIGN_IN": "0"}
    env.pop("TEXTUAL", None)
    return env


def app_argv(store: Path) -> list[str]:
    # -P: the working folder is not put first on the path, where a checkout's ``asbtui``
    # would win over ``--before``/``--app-source`` (run from the checkout, "before" was
    # the checkout's code).
    return [sys.executable, "-P", "-m", "asbtui", "--db", str(store), "--user", USER]


def app_environment(env: dict[str, str], source: Path | None) -> dict[str, str]:
    """The app's environment: ``source`` (a folder holding an ``asbtui`` package, e.g. an
    older commit's, from ``git archive``) is imported instead of the installed one."""
    if source is None:
        return env
    return env | {"PYTHONPATH": str(source.resolve())}


def floor_argv(kind: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--floor-app", kind]


def first_paint(argv: list[str], env: dict[str, str], ready) -> tuple[float, float]:
    """Wall seconds from the spawn to the first screen showing ``ready``, and the CPU the
    program had used by then."""
    term = Term(argv, env)
    try:
        painted = term.wait(ready, quiet=0.0, timeout=120)
        cpu = term.cpu_at_last_output
        term.settle(0.3)
    finally:
        term.close()
    return painted - term.started, cpu


def session(argv: list[str], env: dict[str, str], keys: int,
            times: dict[str, list[float]], cpu: dict[str, list[float]]) -> None:
    """One run of the program: ``keys`` presses of each kind, each timed to its repaint."""
    term = Term(argv, env)
    try:
        # The count, the review marks and the day marks come after the first page, in
        # workers: the keys are timed once they have landed.
        term.wait(lambda s: bool(COUNTED.search(s)), timeout=180)
        term.settle(1.0)

        def timed(kind: str, ready, key: str | None = None) -> None:
            before = term.cpu_seconds()
            sent = term.press(key or kind)
            done = term.wait(ready, timeout=60)
            term.settle(0.3)
            times[kind].append(done - sent)
            cpu[kind].append(term.cpu_seconds() - before)

        for _ in range(keys):
            screen = term.text()
            timed("down", lambda s, was=screen: s != was)
        for _ in range(keys):
            screen = term.text()
            timed("pagedown", lambda s, was=screen: s != was)
        for _ in range(keys):
            timed("enter", lambda s: bool(CASE_READY.search(s)))
            timed("escape", lambda s: bool(QUEUE_READY.search(s))
                  and not CASE_READY.search(s))
            term.press("down")  # the next case next time
            term.settle(0.3)
    finally:
        term.close()


def pin_check_seconds() -> float:
    """CPU time of one argon2id PIN check at the app's cost (the issue sets it aside)."""
    from argon2 import PasswordHasher

    hasher = PasswordHasher()
    hashed = hasher.hash(PIN)
    times = []
    for _ in range(3):
        start = time.process_time()
        hasher.verify(hashed, PIN)
        times.append(time.process_time() - start)
    return statistics.median(times)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 2 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("stores", type=Path, nargs="*")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keys", type=int, default=12)
    parser.add_argument("--paints", type=int, default=5)
    parser.add_argument("--no-keys", action="store_true")
    parser.add_argument("--app-source", type=Path,
                        help="run the asbtui package in this folder (before/after figures)")
    parser.add_argument("--before", type=Path,
                        help="also paint with the asbtui package in this folder, interleaved")
    parser.add_argument("--floor-app", choices=("queue", "empty"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor_app:
        floor_app(args.floor_app)
        return
    home = tempfile.mkdtemp(prefix="keys-bench-")
    env = environment(home)
    app_env = app_environment(env, args.app_source)
    # As installed from a wheel: the app's modules compiled to bytecode beforehand (this
    # machine sets PYTHONDONTWRITEBYTECODE; the floor's libraries are compiled already).
    import compileall

    import asbtui
    for package in [Path(asbtui.__file__).parent] + [
            source / "asbtui" for source in (args.app_source, args.before) if source]:
        compileall.compile_dir(package, quiet=1)
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}; "
          f"wall times from the key written to the repaint read back, in a 120x40 pty")
    for store in args.stores:
        print(f"\n{store}")
        if args.paints:
            bare, app, before = [], [], []
            for _ in range(args.paints):
                bare.append(first_paint(floor_argv("empty"), env,
                                        lambda s: FLOOR_READY in s))
                app.append(first_paint(app_argv(store), app_env,
                                       lambda s: bool(QUEUE_READY.search(s))))
                if args.before:
                    before.append(first_paint(app_argv(store),
                                              app_environment(env, args.before),
                                              lambda s: bool(QUEUE_READY.search(s))))
            b_wall = statistics.median(w for w, _ in bare)
            a_wall = statistics.median(w for w, _ in app)
            b_cpu = statistics.median(c for _, c in bare)
            a_cpu = statistics.median(c for _, c in app)
            print(f"{'first paint (median of ' + str(args.paints) + ')':<34}"
                  f"{'wall s':>8}{'x floor':>9}{'CPU s':>8}{'x floor':>9}")
            print(f"{'  floor: bare app, empty DataTable':<34}{b_wall:>8.3f}{'':>9}"
                  f"{b_cpu:>8.2f}")
            print(f"{'  queue painted, signed in':<34}{a_wall:>8.3f}{a_wall / b_wall:>9.2f}"
                  f"{a_cpu:>8.2f}{a_cpu / b_cpu:>9.2f}")
            if before:
                o_wall = statistics.median(w for w, _ in before)
                o_cpu = statistics.median(c for _, c in before)
                print(f"{'  the same, before (--before)':<34}{o_wall:>8.3f}"
                      f"{o_wall / b_wall:>9.2f}{o_cpu:>8.2f}{o_cpu / b_cpu:>9.2f}")
            pin = pin_check_seconds()
            print(f"{'  the same, PIN check aside':<34}{a_wall - pin:>8.3f}"
                  f"{(a_wall - pin) / b_wall:>9.2f}{a_cpu - pin:>8.2f}"
                  f"{(a_cpu - pin) / b_cpu:>9.2f}   (argon2id verify: {pin:.2f} s CPU)")
        if args.no_keys:
            continue
        figures = {who: ({k: [] for k in KINDS}, {k: [] for k in KINDS})
                   for who in ("floor", "app", "before")}
        for _ in range(args.rounds):
            session(floor_argv("queue"), env, args.keys, *figures["floor"])
            session(app_argv(store), app_env, args.keys, *figures["app"])
            if args.before:
                session(app_argv(store), app_environment(env, args.before), args.keys,
                        *figures["before"])
        print(f"{'key (' + str(args.rounds * args.keys) + ' each)':<14}"
              f"{'floor p50':>10}{'p95':>8}{'app p50':>9}{'p95':>8}{'x floor':>9}"
              f"{'CPU/key floor':>15}{'app':>7}")
        for kind in KINDS:
            f_times, f_cpu = figures["floor"][0][kind], figures["floor"][1][kind]
            a_times, a_cpu = figures["app"][0][kind], figures["app"][1][kind]
            fp, ap = p95(f_times) * 1000, p95(a_times) * 1000
            print(f"{kind:<14}{statistics.median(f_times) * 1000:>10.1f}{fp:>8.1f}"
                  f"{statistics.median(a_times) * 1000:>9.1f}{ap:>8.1f}{ap / fp:>9.2f}"
                  f"{statistics.mean(f_cpu) * 1000:>15.1f}{statistics.mean(a_cpu) * 1000:>7.1f}")
        if args.before:
            print("before (--before):")
            for kind in KINDS:
                f_times = figures["floor"][0][kind]
                o_times, o_cpu = figures["before"][0][kind], figures["before"][1][kind]
                fp, op = p95(f_times) * 1000, p95(o_times) * 1000
                print(f"{kind:<14}{'':>18}{statistics.median(o_times) * 1000:>9.1f}"
                      f"{op:>8.1f}{op / fp:>9.2f}{'':>15}{statistics.mean(o_cpu) * 1000:>7.1f}")
    time.sleep(0)


if __name__ == "__main__":
    main()
