"""Settings, read once at start-up and passed down (no global settings object).

Each field can be set in the environment as ``ASBTUI_<FIELD>`` (``ASBTUI_DB``), or in
as ``ASBTUI_<FIELD>=value`` lines in ``asbtui.env`` in the user config folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from platformdirs import user_config_path, user_data_path
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from asbtui.dates import london_today
from asbtui.errors import InvalidInput
from asbtui.services.rules import value

if TYPE_CHECKING:
    # Imported when asked for: the app's first frame needs neither service.
    from asbtui.services.patterns import PatternRules
    from asbtui.services.triage import ResponseTargets

APP_NAME = "asbtui"
ENV_PREFIX = "ASBTUI_"
DEFAULT_REVIEW_MONTHS = 72
"""The local review period's default: ``services.retention.DEFAULT_REVIEW_MONTHS`` (a test
holds them equal; not imported from there, which would load that service with the
settings)."""


def default_store_path() -> Path:
    """Where the store lives when no ``--db`` is given: the user data folder."""
    return user_data_path(APP_NAME, appauthor=False) / "asbtui.db"


def config_file() -> Path:
    return user_config_path(APP_NAME, appauthor=False) / "asbtui.env"


class Settings(BaseSettings):
    """asbtui's settings. Environment variables win over the config file."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=None, extra="ignore")

    db: Path = Field(default_factory=default_store_path, description="The local store file")
    officer: str | None = Field(
        default=None, description="Collar number of the officer using this device"
    )
    theme: str = Field(default="textual-dark", description="textual-dark or textual-light")
    page_size: int = Field(default=100, ge=20, le=1000, description="Queue rows per page")
    repeat_window_months: int = Field(default=12, ge=1, le=60,
                                      description="Window for repeat victims and locations")
    repeat_min_reports: int = Field(default=3, ge=2, description="Reports that make a repeat")
    hotspot_recent_months: int = Field(default=3, ge=1, description="A hotspot's recent period")
    hotspot_baseline_months: int = Field(default=12, ge=1, description="Its usual level, before")
    hotspot_factor: float = Field(default=2.0, gt=1, description="Recent over usual level")
    hotspot_min_reports: int = Field(default=5, ge=1, description="Fewest recent reports")
    case_review_threshold: int = Field(
        default=3,
        description="Qualifying complaints that meet the ASB Case Review threshold "
        "(s104(4): the local number may be lower than the law's, never higher; the range "
        "is the rule row in force today)",
    )

    @field_validator("case_review_threshold")
    @classmethod
    def _threshold_in_law(cls, threshold: int) -> int:
        today = london_today()
        least = value("case_review_threshold_min", today)
        most = value("case_review_threshold_max", today)
        if not least <= threshold <= most:
            raise ValueError(f"s104(4) allows a threshold from {least} to {most}")
        return threshold

    retention_review_months: int = Field(
        default=DEFAULT_REVIEW_MONTHS,
        ge=1,
        le=240,
        description="The local review period: months after closing when a case's personal "
        "data comes up for review (keep it longer for a reason, or erase it)",
    )

    idle_lock_minutes: int = Field(
        default=5, ge=1,
        description="Minutes without a key or mouse event before the screen locks "
        "(re-enter the PIN to go on)",
    )

    first_contact_high_hours: int = Field(
        default=24, ge=1, le=168,
        description="First contact for a high-priority report within these hours (by the clock)")
    first_contact_medium_working_days: int = Field(
        default=3, ge=1, le=30,
        description="First contact for a medium-priority report within these working days")
    first_contact_standard_working_days: int = Field(
        default=10, ge=1, le=60,
        description="First contact for a standard-priority report within these working days")
    my_day_at_sign_in: bool = Field(
        default=True, description="Open My day after signing in on the sign-in screen")

    def response_targets(self) -> ResponseTargets:
        """The first-contact targets for :mod:`asbtui.services.triage`."""
        from asbtui.services.triage import ResponseTargets

        return ResponseTargets(self.first_contact_high_hours,
                               self.first_contact_medium_working_days,
                               self.first_contact_standard_working_days)

    def pattern_rules(self, **overrides: int) -> PatternRules:
        """The thresholds for :mod:`asbtui.services.patterns`."""
        from asbtui.services.patterns import PatternRules

        values = {
            "window_months": self.repeat_window_months,
            "repeat_min_reports": self.repeat_min_reports,
            "hotspot_recent_months": self.hotspot_recent_months,
            "hotspot_baseline_months": self.hotspot_baseline_months,
            "hotspot_factor": self.hotspot_factor,
            "hotspot_min_reports": self.hotspot_min_reports,
        }
        return PatternRules(**(values | overrides))


def load_settings() -> Settings:
    """Settings from the environment and the user's config file (if it exists)."""
    path = config_file()
    try:
        if path.exists():
            return Settings(_env_file=path)  # type: ignore[call-arg]
        return Settings()
    except ValidationError as error:
        # One plain line naming each setting and what is wrong (not the value: it may be
        # anything, at any length).
        wrong = "; ".join(
            f"{ENV_PREFIX}{str(problem['loc'][0]).upper() if problem['loc'] else ''}: "
            f"{problem['msg']}" for problem in error.errors())
        where = f"the environment or {path}" if path.exists() else "the environment"
        raise InvalidInput(f"A setting in {where} is not valid: {wrong}.") from None
