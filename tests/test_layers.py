"""The layers hold at run time too: the CLI's data commands and the services load no TUI."""

from __future__ import annotations

import subprocess
import sys


def test_services_and_cli_commands_never_import_textual() -> None:
    code = (
        "import sys\n"
        "import asbtui.cli, asbtui.db, asbtui.services.cases, asbtui.services.queue\n"
        "import asbtui.services.demo, asbtui.services.search\n"
        "loaded = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_screens_do_not_import_the_store_module_at_run_time() -> None:
    code = (
        "import sys\n"
        "sys.modules['asbtui.db'] = None  # importing it now would fail\n"
        "import asbtui.screens.queue, asbtui.screens.case, asbtui.screens.intake\n"
        "import asbtui.screens.incident, asbtui.screens.party, asbtui.screens.status\n"
        "import asbtui.screens.review, asbtui.screens.filters, asbtui.screens.help\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_opening_the_app_on_a_current_store_imports_no_migration_demo_or_http_code(
        store_path) -> None:
    # The first frame waits on every import: Alembic (only to migrate), Faker (only for
    # demos) and the HTTP client (only to sync) come later, when they are used.
    code = (
        "import sys\n"
        "from asbtui.db import open_store\n"
        "import asbtui.app\n"
        "import asbtui.sync.engine  # the header's sync state, asked for after the first frame\n"
        f"open_store({str(store_path)!r}).close()\n"
        "heavy = ('alembic', 'faker', 'httpx')\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in heavy)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
