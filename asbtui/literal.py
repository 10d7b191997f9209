"""Showing text that users typed exactly as typed.

Stored text is data, never markup: it may hold Rich markup (``[bold]``), ANSI escape
sequences or other control characters. Every place that shows stored text passes it
through :func:`visible`, which replaces control characters with the Unicode "control
picture" glyphs (ESC shows as ``␛``), so a terminal never acts on them. Screens then wrap
the result in a ``rich.text.Text`` so that square brackets are not parsed as markup.
"""

from __future__ import annotations

import re

# C0 controls except none, DEL, and the C1 range (which some terminals act on too).
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x80-\x9f]")


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ .. ␟
    if code == 0x7F:
        return "\u2421"  # ␡
    return "\ufffd"  # C1 controls have no picture of their own


def visible(text: str | None, *, keep_newlines: bool = False) -> str:
    """Return ``text`` with every control character made visible and harmless."""
    if not text:
        return ""
    if keep_newlines:
        return "\n".join(_CONTROL.sub(_picture, line) for line in text.split("\n"))
    return _CONTROL.sub(_picture, text)


def one_line(text: str | None, width: int | None = None) -> str:
    """``visible`` text on a single line (newlines become spaces), cut to ``width``."""
    flat = visible((text or "").replace("\r\n", " ").replace("\n", " "))
    if width is not None and len(flat) > width:
        return flat[: max(width - 1, 0)] + "…"
    return flat


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """'1 case', '2 cases', '1 entry', '3 entries' (``nouns``: an irregular plural)."""
    return f"{count:,} {noun if count == 1 else (nouns or noun + 's')}"
