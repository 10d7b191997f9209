"""Settings, read once at start-up and passed down (no global settings object).

Each field can be set in the environment as ``ASBTUI_<FIELD>`` (``ASBTUI_DB``), or in
as ``ASBTUI_<FIELD>=value`` lines in ``asbtui.env`` in the user config folder.
"""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_config_path, user_data_path
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

APP_NAME = "asbtui"


def default_store_path() -> Path:
    """Where the store lives when no ``--db`` is given: the user data folder."""
    return user_data_path(APP_NAME, appauthor=False) / "asbtui.db"


def config_file() -> Path:
    return user_config_path(APP_NAME, appauthor=False) / "asbtui.env"


class Settings(BaseSettings):
    """asbtui's settings. Environment variables win over the config file."""

    model_config = SettingsConfigDict(env_prefix="ASBTUI_", env_file=None, extra="ignore")

    db: Path = Field(default_factory=default_store_path, description="The local store file")
    officer: str | None = Field(
        default=None, description="Collar number of the officer using this device"
    )
    theme: str = Field(default="textual-dark", description="textual-dark or textual-light")
    page_size: int = Field(default=100, ge=20, le=1000, description="Queue rows per page")


def load_settings() -> Settings:
    """Settings from the environment and the user's config file (if it exists)."""
    path = config_file()
    if path.exists():
        return Settings(_env_file=path)  # type: ignore[call-arg]
    return Settings()
