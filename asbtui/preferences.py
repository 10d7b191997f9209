"""Each user's own choices about the interface (the queue's columns), kept between runs.

A small JSON file in the user config folder (``~/.config/asbtui/preferences.json`` on
Linux), keyed by user name: no schema change, nothing personal, and a damaged or missing
file only means the defaults.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from platformdirs import user_config_path

APP_NAME = "asbtui"


def preferences_file() -> Path:
    return user_config_path(APP_NAME, appauthor=False) / "preferences.json"


class Preferences:
    """Per-user interface choices read from, and written straight back to, one file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or preferences_file()

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, user: str, key: str) -> Any:
        """The user's choice for ``key``, or None when they have not made one."""
        entry = self._read().get(user)
        return entry.get(key) if isinstance(entry, dict) else None

    def set(self, user: str, key: str, value: Any) -> None:
        """Save the user's choice (written to a new file, then renamed over the old)."""
        data = self._read()
        entry = data.get(user)
        data[user] = (entry if isinstance(entry, dict) else {}) | {key: value}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2, sort_keys=True)
        os.replace(temporary, self.path)
