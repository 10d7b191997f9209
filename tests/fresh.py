"""A fresh, empty, migrated store in a blink: copied from one made once per test process.

Migrating a new store runs every Alembic step (about half a second); copying a migrated
file takes milliseconds. Tests about creating a store itself still call ``open_store(...,
create=True)``; everything else that only needs an empty store uses :func:`new_store`.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import cache
from pathlib import Path

from asbtui.db import Store, open_store


@cache
def empty_template() -> Path:
    """The migrated, empty store this process copies (closed, so the file is the whole store)."""
    folder = Path(tempfile.mkdtemp(prefix="asbtui-empty-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "empty.db"
    open_store(path, create=True).close()
    assert not Path(f"{path}-wal").exists()
    return path


def copy_empty_store(path: Path) -> Path:
    """Put a fresh, empty, migrated (closed) store at ``path``."""
    shutil.copyfile(empty_template(), path)
    return path


def new_store(path: Path) -> Store:
    """A fresh, empty, migrated store at ``path``, open."""
    return open_store(copy_empty_store(path))
