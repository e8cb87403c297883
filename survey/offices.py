"""Intellectual Property Offices that may answer the survey.

Offices are identified by their two-letter WIPO Standard ST.3 code.  For the
national Offices of states the code equals the ISO 3166-1 alpha-2 code and the
displayed name is the country name from Babel's CLDR locale data; regional and
international Offices (EP, EM, AP, OA, EA, GC, BX, IB, ...) carry their names in
the CSV file, in English, French and Spanish.

The shipped list lives in ``survey/data/offices.csv``; ``read_offices_csv`` also
validates files given to ``python -m bot offices import FILE.csv``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from babel import Locale

__all__ = [
    "NAME_LANGUAGES",
    "OFFICE_KINDS",
    "SHIPPED_OFFICES",
    "OfficeInfo",
    "OfficesFileError",
    "is_known_country",
    "normalize_office_code",
    "office_name",
    "read_offices_csv",
    "shipped_offices",
]

OFFICE_KINDS = ("national", "regional", "international")
NAME_LANGUAGES = ("en", "fr", "es")
"""Languages in which Office names are available; any other language falls back to English."""

SHIPPED_OFFICES: Path = Path(__file__).with_name("data") / "offices.csv"

_DEFAULT_LANGUAGE = "en"
_CODE_RE = re.compile(r"[A-Za-z]{2}")
_COLUMNS = ("code", "kind", *(f"name_{lang}" for lang in NAME_LANGUAGES))

# Codes that CLDR lists as "territories" but that are not countries (ISO 3166-1
# exceptional reservations, groupings, pseudo-locales).  Some of them collide with
# ST.3 codes of organisations (EA = Eurasian Patent Organization), so they must
# never resolve to a Babel name nor be accepted as national Offices.
_NOT_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"}
)


class OfficesFileError(ValueError):
    """An Offices CSV file is missing, unreadable or invalid (one-line message)."""


def _empty_names() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class OfficeInfo:
    """One Office: ST.3 code, kind and explicit names per language (may be empty for national)."""

    code: str
    kind: str
    names: Mapping[str, str] = field(default_factory=_empty_names, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", normalize_office_code(self.code))
        if self.kind not in OFFICE_KINDS:
            raise ValueError(f"unknown office kind {self.kind!r} (expected {_kinds_text()})")
        object.__setattr__(self, "names", MappingProxyType(dict(self.names)))

    def name(self, lang: str) -> str:
        """The Office's name in ``lang`` (see :func:`office_name`)."""
        return office_name(self.code, lang, self.names)


def normalize_office_code(code: str) -> str:
    """Return ``code`` stripped and upper-cased; raise ValueError unless it is two letters A-Z."""
    stripped = code.strip()
    if not _CODE_RE.fullmatch(stripped):
        raise ValueError(f"invalid office code {code!r}: expected two letters A-Z (WIPO ST.3)")
    return stripped.upper()


def _language(lang: str) -> str:
    """Primary language subtag of ``lang`` if supported ("fr-CA" -> "fr"), else English."""
    primary = lang.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in NAME_LANGUAGES else _DEFAULT_LANGUAGE


@lru_cache(maxsize=len(NAME_LANGUAGES))
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


def _territory_name(code: str, lang: str) -> str | None:
    """Babel's name of country ``code`` in ``lang`` (a supported language), or None."""
    if code in _NOT_COUNTRIES or not _CODE_RE.fullmatch(code):
        return None
    name = _locale(lang).territories.get(code)
    return name if isinstance(name, str) and name else None


def is_known_country(code: str) -> bool:
    """Whether ``code`` (normalised) is a country that Babel names in every supported language."""
    return all(_territory_name(code, lang) is not None for lang in NAME_LANGUAGES)


def office_name(code: str, lang: str, names: Mapping[str, str] | None = None) -> str:
    """Name of Office ``code`` in ``lang``.

    Fallback chain: ``names[lang]``; Babel's country name in ``lang``; ``names["en"]``;
    the code itself.  Languages other than en/fr/es are treated as English.
    """
    language = _language(lang)
    key = code.strip().upper()
    if names and (explicit := names.get(language)):
        return explicit
    territory = _territory_name(key, language)
    if territory is not None:
        return territory
    if names and (english := names.get(_DEFAULT_LANGUAGE)):
        return english
    return key


def _kinds_text() -> str:
    return ", ".join(OFFICE_KINDS[:-1]) + " or " + OFFICE_KINDS[-1]


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise OfficesFileError(f"{path.name}: cannot read file ({reason})") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise OfficesFileError(f"{path.name} line {line}: not valid UTF-8") from exc


def _parse_header(row: list[str], where: str) -> list[str | None]:
    """Column name per position (None for blank header cells, which are ignored)."""
    columns: list[str | None] = []
    for cell in row:
        name = cell.strip().lower()
        if not name:
            columns.append(None)
            continue
        if name not in _COLUMNS:
            raise OfficesFileError(
                f"{where}: unknown column {cell.strip()!r} (expected {', '.join(_COLUMNS)})"
            )
        if name in columns:
            raise OfficesFileError(f"{where}: duplicate column {name!r}")
        columns.append(name)
    if "code" not in columns:
        raise OfficesFileError(f"{where}: header has no 'code' column")
    return columns


def _parse_row(row: list[str], columns: list[str | None], where: str) -> OfficeInfo:
    if len(row) > len(columns) and any(cell.strip() for cell in row[len(columns) :]):
        raise OfficesFileError(f"{where}: {len(row)} fields but the header has {len(columns)}")
    values: dict[str, str] = {}
    for column, cell in zip(columns, row, strict=False):
        if column is not None:
            values[column] = cell.strip()

    try:
        code = normalize_office_code(values.get("code", ""))
    except ValueError as exc:
        raise OfficesFileError(f"{where}: {exc}") from None

    names = {lang: value for lang in NAME_LANGUAGES if (value := values.get(f"name_{lang}", ""))}
    known = is_known_country(code)
    kind = values.get("kind", "").lower()
    if not kind:
        if known:
            kind = "national"
        elif names:
            kind = "regional"
        else:
            raise OfficesFileError(
                f"{where}: unknown country code {code!r} (give a kind and names for other Offices)"
            )
    if kind not in OFFICE_KINDS:
        raise OfficesFileError(f"{where}: unknown kind {kind!r} (expected {_kinds_text()})")
    if kind == "national" and not known:
        raise OfficesFileError(f"{where}: unknown country code {code!r}")
    if kind != "national" and "en" not in names:
        raise OfficesFileError(f"{where}: {kind} office {code!r} needs a name_en")
    return OfficeInfo(code=code, kind=kind, names=names)


def read_offices_csv(path: str | Path) -> list[OfficeInfo]:
    """Read and validate an Offices CSV file (UTF-8, optional BOM).

    The header must name a ``code`` column; ``kind``, ``name_en``, ``name_fr`` and
    ``name_es`` are optional.  Blank lines are skipped.  Any problem raises
    :class:`OfficesFileError` naming the file and the line.
    """
    file = Path(path)
    text = _read_text(file)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    columns: list[str | None] | None = None
    offices: list[OfficeInfo] = []
    first_line: dict[str, int] = {}
    line = 1
    try:
        for row in reader:
            where = f"{file.name} line {line}"
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if columns is None:
                columns = _parse_header(row, where)
                continue
            office = _parse_row(row, columns, where)
            if office.code in first_line:
                raise OfficesFileError(
                    f"{where}: duplicate code {office.code!r} (already on line "
                    f"{first_line[office.code]})"
                )
            first_line[office.code] = start
            offices.append(office)
    except csv.Error as exc:
        raise OfficesFileError(f"{file.name} line {reader.line_num}: {exc}") from None
    if columns is None:
        raise OfficesFileError(f"{file.name}: file is empty")
    if not offices:
        raise OfficesFileError(f"{file.name}: no offices listed")
    return offices


@lru_cache(maxsize=1)
def _shipped_offices() -> tuple[OfficeInfo, ...]:
    return tuple(read_offices_csv(SHIPPED_OFFICES))


def shipped_offices() -> list[OfficeInfo]:
    """The Offices shipped with the bot (``survey/data/offices.csv``), read once and cached."""
    return list(_shipped_offices())
