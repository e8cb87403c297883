"""Text as the office formats can hold it.

XLSX and DOCX are XML, which cannot carry some characters a person can type or paste: control
characters other than tab, line feed and carriage return, lone surrogates, U+FFFE and U+FFFF.
openpyxl's own pattern misses the last ones, and lxml then fails the whole file; they are
dropped instead (they show as nothing anywhere).
"""

from __future__ import annotations

import re

XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    return XML_ILLEGAL.sub("", text)
