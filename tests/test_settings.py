"""The settings: the environment over the config file, values given over both, all
validated (as pydantic-settings read them before, without loading it)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from asbtui.config import Settings


def test_the_environment_wins_over_the_file_and_given_values_over_both(
        tmp_path, monkeypatch) -> None:
    env_file = tmp_path / "asbtui.env"
    env_file.write_text("ASBTUI_PAGE_SIZE=200\n# a comment\nexport ASBTUI_OFFICER='PC 2'\n"
                        "asbtui_idle_lock_minutes=9\nOTHER=1\n")
    monkeypatch.setenv("ASBTUI_PAGE_SIZE", "300")
    monkeypatch.setenv("asbtui_theme", "textual-light")  # names in any case
    settings = Settings(_env_file=env_file, idle_lock_minutes=7)
    assert settings.page_size == 300
    assert settings.officer == "PC 2"
    assert settings.theme == "textual-light"
    assert settings.idle_lock_minutes == 7


def test_values_and_defaults_are_validated(monkeypatch) -> None:
    monkeypatch.setenv("ASBTUI_PAGE_SIZE", "5")
    with pytest.raises(ValidationError, match="page_size"):
        Settings()
    monkeypatch.delenv("ASBTUI_PAGE_SIZE")
    monkeypatch.setenv("ASBTUI_MY_DAY_AT_SIGN_IN", "yes")
    assert Settings().my_day_at_sign_in is True
    assert Settings().case_review_threshold == 3  # the default, checked against the law
