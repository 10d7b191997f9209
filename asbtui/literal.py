"""Showing text that users typed exactly as typed.

Stored text is data, never markup: it may hold Rich markup (``[bold]``), ANSI escape
sequences or other control characters, bidirectional overrides or zero-width characters.
Every place that shows stored text passes it through :func:`visible`, which replaces
control characters with the Unicode "control picture" glyphs (ESC shows as ``␛``), so a
terminal never acts on them, and invisible or reordering characters with their code
(``<U+202E>``), so text reads as it is stored. Screens then wrap
the result in a ``rich.text.Text`` so that square brackets are not parsed as markup.
"""

from __future__ import annotations

import re

# C0 controls except none, DEL, and the C1 range (which some terminals act on too); the
# bidirectional controls and invisible characters that can make text read other than it is
# stored (U+202E turns "exe.txt" into "txt.exe"; U+200B hides inside a name); and lone
# surrogates, which is how Python carries bytes that were not valid UTF-8.
_CONTROL = re.compile(
    "[\x00-\x1f\x7f\x80-\x9f"
    "\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
    "\ud800-\udfff]")


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ .. ␟
    if code == 0x7F:
        return "\u2421"  # ␡
    if 0x80 <= code <= 0x9F:
        return "\ufffd"  # C1 controls have no picture of their own
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"  # a byte that was not UTF-8, as its value
    return f"<U+{code:04X}>"  # ASCII, so it shows in every font, the PDF's too


def visible(text: str | None, *, keep_newlines: bool = False) -> str:
    """Return ``text`` with every control character made visible and harmless."""
    if not text:
        return ""
    if keep_newlines:
        return "\n".join(_CONTROL.sub(_picture, line) for line in text.split("\n"))
    return _CONTROL.sub(_picture, text)


def shortened(text: str, width: int = 200) -> str:
    """``one_line`` text cut in the middle to ``width``: for echoing what a user typed in
    a message (a 128 KB argument must not fill the screen)."""
    flat = one_line(text)
    if len(flat) <= width:
        return flat
    half = (width - 1) // 2
    return f"{flat[:half]}…{flat[-half:]} ({len(text):,} characters)"


def one_line(text: str | None, width: int | None = None) -> str:
    """``visible`` text on a single line (newlines become spaces), cut to ``width``."""
    flat = visible((text or "").replace("\r\n", " ").replace("\n", " "))
    if width is not None and len(flat) > width:
        return flat[: max(width - 1, 0)] + "…"
    return flat


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """'1 case', '2 cases', '1 entry', '3 entries' (``nouns``: an irregular plural)."""
    return f"{count:,} {noun if count == 1 else (nouns or noun + 's')}"
