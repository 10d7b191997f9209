"""100 KB in every argument of every command: each is refused in one plain line that does
not echo it, with no traceback, and nothing is written.

The commands and their arguments are those of ``test_partner_every_command`` (which is held
to the CLI's own list), run by a supervisor of the district, so that what refuses is the
argument and not the role.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_partner_every_command import AIMED, PINS, _digest, prepared  # noqa: F401

BIG = "x" * 100_000
USER = "sup.thanet"
# Commands a Thanet supervisor may not run whatever the argument (refused by role first).
ROLE_REFUSED = {"user list", "user add", "user unlock", "user disable", "user enable",
                "user pin", "agency add", "db backup", "db migrate", "db encrypt",
                "letter template-set", "letter template-reset", "pspo vary"}
# Values that are choices or flags' names, not values a person types.
KEEP = {"served", "--json", "--status", "all", "--format", "json", "md"}


def _cases() -> list[tuple[str, int]]:
    found = []
    for command, args in sorted(AIMED.items()):
        if command in ROLE_REFUSED:
            continue
        for index, arg in enumerate(args):
            if not arg.startswith("--") and arg not in KEEP:
                found.append((command, index))
    return found


@pytest.mark.parametrize(("command", "index"), _cases())
def test_100_kb_in_an_argument_is_refused_plainly(prepared, tmp_path: Path, command: str,  # noqa: F811
                                                 index: int) -> None:
    from typer.testing import CliRunner

    from asbtui.cli import app

    template, filled, _ = prepared
    path = tmp_path / "demo.db"
    shutil.copyfile(template, path)
    args = [a.format(**filled, out=str(tmp_path / "made")) for a in AIMED[command]]
    args[index] = BIG
    before = _digest(path)
    result = CliRunner().invoke(app, ["--db", str(path), *command.split(), *args],
                                env={"ASBTUI_USER": USER, "ASBTUI_PIN": PINS[USER],
                                     "ASBTUI_KEY": None})
    said = result.stdout + result.stderr
    assert "Traceback" not in said, result.stderr
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (1, 2), (command, args[:index], result.stdout[:300])
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("asbtui: "), result.stderr[:500]
    assert len(lines[0]) < 500, lines[0][:500]
    assert _digest(path) == before
