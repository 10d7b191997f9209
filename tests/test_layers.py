"""The layers hold at run time too: the CLI's data commands and the services load no TUI."""

from __future__ import annotations

import subprocess
import sys


def _python(code: str) -> str:
    """What a new interpreter running ``code`` prints (it fails the test if it fails)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout


def test_services_and_cli_commands_never_import_textual() -> None:
    code = (
        "import sys\n"
        "import asbtui.cli, asbtui.db, asbtui.services.cases, asbtui.services.queue\n"
        "import asbtui.services.demo, asbtui.services.search\n"
        "loaded = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(loaded))\n"
    )
    output = _python(code)
    assert output.strip() == ""


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
        "import asbtui.sync.engine  # a sync, when the user asks for one\n"
        f"open_store({str(store_path)!r}).close()\n"
        "heavy = ('alembic', 'faker', 'httpx')\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in heavy)))\n"
    )
    output = _python(code)
    assert output.strip() == ""


def test_the_headers_sync_state_is_read_without_the_engine_or_the_casework_tables(
        store_path) -> None:
    # The header shows the sync state just after the first frame; the engine (every
    # table of the store, the snapshot and search services: ~100 ms of CPU) came with it
    # and, when that landed before the first page, delayed the page.
    code = (
        "import sys\n"
        "import asbtui.app\n"
        "from asbtui.db import open_store\n"
        "from asbtui.sync import state\n"
        f"store = open_store({str(store_path)!r})\n"
        "print(state.status(store).enrolled, state.status(store).pending)\n"
        "store.close()\n"
        "print(','.join(m for m in ('asbtui.sync.engine', 'asbtui.casework_models')\n"
        "               if m in sys.modules))\n"
    )
    output = _python(code)
    assert output.splitlines() == ["False 0", ""]


def test_opening_the_app_loads_neither_typer_nor_what_the_first_frame_does_not_use() -> None:
    # ``asbtui`` with only its own options is read without Typer, and the sign-in, help
    # and go-to screens, the review marks, the day marks and the patterns come when used.
    code = (
        "import sys\n"
        "import asbtui.cli.launch as launch\n"
        "launch.run_app = lambda settings, db, user: print(db.name, user)\n"
        "sys.argv = ['asbtui', '--db', 'x.db', '--user=someone']\n"
        "from asbtui.cli import main\n"
        "main()\n"
        "import asbtui.app\n"
        "unused = ('typer', 'asbtui.cli.root', 'asbtui.screens.login', 'asbtui.screens.help',\n"
        "          'asbtui.screens.goto', 'asbtui.services.case_review', 'asbtui.services.day',\n"
        "          'asbtui.services.patterns', 'asbtui.services.retention',\n"
        "          'asbtui.casework_models')\n"
        "print(','.join(m for m in unused if m in sys.modules))\n"
    )
    output = _python(code)
    assert output.splitlines() == ["x.db someone", ""]


def test_signing_in_and_the_queues_first_page_leave_the_orm_mapping_unset(demo_path) -> None:
    # The ORM's first statement sets up the mapping of every model (tens of milliseconds):
    # the way to the app's first frame (the sign-in, the device's officer, the queue's
    # first page) reads the store with Core, and needs none of the casework tables.
    code = (
        "import sys\n"
        "from argon2 import PasswordHasher\n"
        "from sqlalchemy import inspect\n"
        "from asbtui.db import open_store\n"
        "from asbtui.models import Case, District\n"
        "from asbtui.services import cases, queue, users\n"
        "# The demo's light hash, as the tests' own hasher (no new hash to store)\n"
        "users._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)\n"
        f"with open_store({str(demo_path)!r}) as store:\n"
        "    users.sign_in(store, 'pc.thanet', '271828')\n"
        "    officer = cases.device_officer(store)\n"
        "    page = queue.queue_page(store, queue.QueueQuery(district=District.THA))\n"
        "    print(officer.district.value, len(page.rows) > 0, inspect(Case).configured,\n"
        "          'asbtui.casework_models' in sys.modules)\n"
    )
    output = _python(code)
    assert output.split() == ["THA", "True", "False", "False"]


def test_the_casework_tables_come_with_their_first_use_and_every_table_holds_them() -> None:
    # The 24 casework tables (three quarters of the models' import time) are defined in
    # their own module, imported when one of them is first asked for from asbtui.models;
    # whatever walks every table reads models.every_table(), never the metadata as it is.
    code = (
        "import sys\n"
        "import asbtui.models as models\n"
        "from sqlmodel import SQLModel\n"
        "print(len(SQLModel.metadata.tables), 'asbtui.casework_models' in sys.modules)\n"
        "from asbtui.models import Deadline\n"
        "import asbtui.casework_models as casework\n"
        "print(Deadline is casework.Deadline, len(SQLModel.metadata.tables))\n"
        "tables = {name for name, value in vars(casework).items()\n"
        "          if isinstance(value, type) and getattr(value, '__table__', None) is not None\n"
        "          and value.__module__ == casework.__name__}\n"
        "print(tables == models.CASEWORK_TABLES, len(models.every_table().tables))\n"
        "try:\n"
        "    models.NoSuchTable\n"
        "except AttributeError:\n"
        "    print('AttributeError')\n"
    )
    output = _python(code)
    assert output.split() == ["7", "False", "True", "31", "True", "31", "AttributeError"]
