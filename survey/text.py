"""Text as it enters the survey: the one place that makes a text safe to store and to put in
any file the bot writes (XLSX, DOCX, PDF, CSV, the chart), whoever typed it and wherever it
came from (a comment or a name from Telegram, a reason typed by the Secretariat, a cell of an
uploaded workbook, the questionnaire file).

``clean_text``:

- joins a surrogate pair left as two code points and drops an unpaired surrogate: no encoder
  can write one (UTF-8 refuses it, so does PostgreSQL), and it shows as nothing;
- normalises to NFC, so that "é" typed as one character or as "e" and an accent is stored,
  compared and counted the same;
- drops the control characters XML 1.0 cannot hold (C0 but tab, line feed and carriage
  return), DEL and the C1 controls (U+0080 to U+009F): XML 1.0 allows C1 but discourages it,
  XML 1.1 refuses it unescaped, no font has a glyph for it, and what brings it in is text
  decoded with the wrong code page, never a person meaning it. NEL (U+0085), the one C1
  character with a meaning people see, becomes a line feed;
- drops the noncharacters (U+FDD0 to U+FDEF, and the last two code points of every plane,
  U+FFFE, U+FFFF, U+1FFFE ... U+10FFFF): Unicode reserves them for a program's own use, they
  are never text to interchange, and XML refuses U+FFFE and U+FFFF.

Nothing is refused here: each character removed shows as nothing (or as an empty box) in every
place a text appears, so removing it changes nothing a reader could see. What remains may be
empty; the caller decides what an empty text means (no comment, no name).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["clean_text"]

_NEL = "\x85"
_UNWANTED = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff"
    + "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(1, 17))
    + "]"
)
_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """``text`` safe to store and to write in any file (see the module's docstring)."""
    if _SURROGATE.search(text):
        # UTF-16 joins a high and a low surrogate into their character and, told to ignore
        # errors, leaves out one without its other half.
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "ignore")
    if not text.isascii():
        text = unicodedata.normalize("NFC", text.replace(_NEL, "\n"))
    return _UNWANTED.sub("", text)
