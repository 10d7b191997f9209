"""Stored text is shown exactly as typed: control characters become visible glyphs."""

from __future__ import annotations

import pytest
from rich.console import Console
from rich.text import Text

from asbtui.literal import one_line, visible


def test_escape_is_shown_as_a_glyph_so_the_terminal_never_acts_on_it():
    assert visible("\x1b[2J\x1b[31mred") == "␛[2J␛[31mred"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x00", "␀"),
        ("\x07", "␇"),
        ("\x08", "␈"),
        ("\t", "␉"),
        ("\n", "␊"),
        ("\r", "␍"),
        ("\x1b", "␛"),
        ("\x1f", "␟"),
        ("\x7f", "␡"),
        ("\x9b", "\ufffd"),  # C1 CSI: some terminals obey it like ESC [
        ("\x85", "\ufffd"),
    ],
)
def test_each_control_character_has_a_visible_stand_in(raw, shown):
    assert visible(f"a{raw}b") == f"a{shown}b"


def test_no_control_character_survives():
    every = "".join(chr(c) for c in range(0x00, 0xA0))
    shown = visible(every)
    assert len(shown) == len(every)
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in shown)
    assert shown[0x20:0x7F] == every[0x20:0x7F]  # printable ASCII unchanged


@pytest.mark.parametrize(
    "text",
    [
        "[bold]not bold[/bold]",
        "[red on white]x[/]",
        "[link=https://example.com]x[/link]",
        "Mrs O'Brien — 12 Invicta Road, Margate",
        "café ✓ 文字",
        "",
        "   ",
    ],
)
def test_ordinary_text_and_markup_are_kept_as_typed(text):
    assert visible(text) == text


def test_markup_stays_literal_when_printed_through_rich_text():
    console = Console(width=80, record=True, force_terminal=False)
    console.print(Text(visible("[bold]hi[/bold] \x1b[1mthere")))
    assert console.export_text() == "[bold]hi[/bold] ␛[1mthere\n"


def test_nothing_is_shown_for_no_text():
    assert visible(None) == ""
    assert one_line(None) == ""


def test_newlines_can_be_kept_for_multi_line_text():
    assert visible("one\ntwo\x1b", keep_newlines=True) == "one\ntwo␛"
    assert visible("one\ntwo") == "one␊two"


def test_one_line_joins_lines_with_spaces():
    assert one_line("first\nsecond\r\nthird") == "first second third"
    assert one_line("tab\there\x1b") == "tab␉here␛"


@pytest.mark.parametrize(
    ("text", "width", "shown"),
    [
        ("Invicta Road", 20, "Invicta Road"),
        ("Invicta Road", 12, "Invicta Road"),
        ("Invicta Road", 11, "Invicta Ro…"),
        ("Invicta Road", 1, "…"),
        ("\x1b\x1b\x1b", 2, "␛…"),
    ],
)
def test_one_line_cuts_to_the_width_with_an_ellipsis(text, width, shown):
    assert one_line(text, width) == shown
    assert len(one_line(text, width)) <= width
