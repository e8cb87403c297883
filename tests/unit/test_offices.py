"""Tests for survey.offices: the shipped Office list, names and CSV validation."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from babel import Locale

from survey.offices import (
    NAME_LANGUAGES,
    OFFICE_KINDS,
    SHIPPED_OFFICES,
    OfficeInfo,
    OfficesFileError,
    is_known_country,
    normalize_office_code,
    office_name,
    read_offices_csv,
    shipped_offices,
)

ORGANISATIONS = {
    "EP": "regional",
    "EM": "regional",
    "AP": "regional",
    "OA": "regional",
    "EA": "regional",
    "GC": "regional",
    "BX": "regional",
    "IB": "international",
}
HEADER = "code,kind,name_en,name_fr,name_es\n"


def write_csv(tmp_path: Path, text: str, *, name: str = "offices.csv", bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


# --- shipped list -----------------------------------------------------------------


def test_shipped_file_is_next_to_module() -> None:
    assert SHIPPED_OFFICES.name == "offices.csv"
    assert SHIPPED_OFFICES.parent.name == "data"
    assert SHIPPED_OFFICES.is_file()


def test_shipped_file_header_and_order() -> None:
    with SHIPPED_OFFICES.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["code", "kind", "name_en", "name_fr", "name_es"]
    codes = [row[0] for row in rows[1:]]
    assert codes == sorted(codes)
    for row in rows[1:]:
        assert len(row) == 5
        if row[1] == "national":
            assert row[2:] == ["", "", ""], row
        else:
            assert all(row[2:]), row


def test_shipped_has_all_member_states_and_organisations() -> None:
    offices = shipped_offices()
    national = [o for o in offices if o.kind == "national"]
    assert len(national) >= 193
    by_code = {o.code: o for o in offices}
    for code, kind in ORGANISATIONS.items():
        assert by_code[code].kind == kind
    # States that are WIPO members without being UN members, and late joiners.
    for code in ("CK", "NU", "VA", "NR", "DE", "FR", "ES", "US", "CN", "JP", "KR", "CH"):
        assert by_code[code].kind == "national"
    assert {o.kind for o in offices} == set(OFFICE_KINDS)


def test_shipped_codes_unique_and_two_letters() -> None:
    codes = [o.code for o in shipped_offices()]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"[A-Z]{2}", code) for code in codes)


def test_shipped_is_cached_but_returns_fresh_list() -> None:
    first = shipped_offices()
    first.clear()
    assert len(shipped_offices()) >= 201


@pytest.mark.parametrize("lang", NAME_LANGUAGES)
def test_every_national_name_comes_from_babel(lang: str) -> None:
    territories = Locale.parse(lang).territories
    for office in shipped_offices():
        if office.kind == "national":
            assert office.code in territories, (office.code, lang)
            assert office.name(lang) == territories[office.code]
            assert office.name(lang) != office.code


def test_national_names_are_translated() -> None:
    germany = OfficeInfo("DE", "national")
    assert germany.name("en") == "Germany"
    assert germany.name("fr") == "Allemagne"
    assert germany.name("es") == "Alemania"
    assert germany.name("fr") != germany.name("en")


def test_organisation_names_come_from_the_file() -> None:
    by_code = {o.code: o for o in shipped_offices()}
    epo = by_code["EP"]
    assert epo.name("en") == "European Patent Office"
    assert epo.name("fr") == "Office européen des brevets"
    assert epo.name("es") == "Oficina Europea de Patentes"
    assert by_code["OA"].name("fr") == "Organisation africaine de la propriété intellectuelle"
    assert by_code["EM"].name("es") == "Oficina de Propiedad Intelectual de la Unión Europea"
    for code in ORGANISATIONS:
        for lang in NAME_LANGUAGES:
            assert by_code[code].names[lang], (code, lang)


def test_eurasian_office_is_not_ceuta_and_melilla() -> None:
    # CLDR uses EA for "Ceuta & Melilla"; in ST.3 it is the Eurasian Patent Organization.
    eapo = {o.code: o for o in shipped_offices()}["EA"]
    assert eapo.name("en") == "Eurasian Patent Organization"
    assert not is_known_country("EA")
    assert office_name("EA", "en") == "EA"


# --- office_name ------------------------------------------------------------------


def test_office_name_prefers_explicit_name() -> None:
    assert office_name("DE", "fr", {"fr": "Office allemand"}) == "Office allemand"


def test_office_name_falls_back_to_babel() -> None:
    assert office_name("DE", "es", {"fr": "Office allemand"}) == "Alemania"
    assert office_name("de", "es") == "Alemania"


def test_office_name_falls_back_to_english_name() -> None:
    assert office_name("XY", "fr", {"en": "Some Office"}) == "Some Office"
    assert office_name("EP", "es", {"en": "European Patent Office", "es": ""}) == (
        "European Patent Office"
    )


def test_office_name_falls_back_to_code() -> None:
    assert office_name("XY", "fr") == "XY"
    assert office_name("XY", "fr", {}) == "XY"
    assert office_name("XY", "fr", {"es": "Oficina"}) == "XY"


def test_office_name_unknown_language_is_english() -> None:
    assert office_name("DE", "de") == "Germany"
    assert office_name("EP", "ru", {"en": "European Patent Office", "fr": "OEB"}) == (
        "European Patent Office"
    )
    assert office_name("DE", "fr-CA") == "Allemagne"
    assert office_name("DE", "ES") == "Alemania"
    assert office_name("DE", "") == "Germany"


# --- normalize_office_code / OfficeInfo --------------------------------------------


def test_normalize_office_code_accepts_padding_and_lower_case() -> None:
    assert normalize_office_code(" ep ") == "EP"
    assert normalize_office_code("De") == "DE"


@pytest.mark.parametrize("bad", ["E1", "EPO", "", "  ", "E", "ß", "É1", "ÉP", "E-"])
def test_normalize_office_code_rejects(bad: str) -> None:
    with pytest.raises(ValueError, match="two letters"):
        normalize_office_code(bad)


def test_office_info_validates_and_freezes() -> None:
    office = OfficeInfo(" ep ", "regional", {"en": "European Patent Office"})
    assert office.code == "EP"
    with pytest.raises(TypeError):
        office.names["fr"] = "x"  # type: ignore[index]
    assert hash(office) == hash(OfficeInfo("EP", "regional", {"en": "European Patent Office"}))
    with pytest.raises(ValueError, match="kind"):
        OfficeInfo("EP", "supranational")
    with pytest.raises(ValueError, match="two letters"):
        OfficeInfo("EPO", "regional")


# --- read_offices_csv: valid files -------------------------------------------------


def test_read_minimal_file(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        HEADER + "de,,,,\n\nEP,regional,European Patent Office,Office européen des brevets,\n",
    )
    offices = read_offices_csv(path)
    assert [o.code for o in offices] == ["DE", "EP"]
    assert offices[0].kind == "national"
    assert offices[0].names == {}
    assert offices[1].names == {"en": "European Patent Office", "fr": "Office européen des brevets"}
    assert offices[1].name("es") == "European Patent Office"


def test_read_code_only_header_defaults_to_national(tmp_path: Path) -> None:
    offices = read_offices_csv(write_csv(tmp_path, "code\nFR\n nu \n"))
    assert [(o.code, o.kind) for o in offices] == [("FR", "national"), ("NU", "national")]


def test_kind_defaults_to_regional_for_named_unknown_code(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "Code,Name_EN\nXX,Some Regional Office\n")
    (office,) = read_offices_csv(path)
    assert office.kind == "regional"
    assert office.name("fr") == "Some Regional Office"


def test_bom_is_accepted(tmp_path: Path) -> None:
    path = write_csv(tmp_path, HEADER + "DE,national,,,\n", bom=True)
    assert [o.code for o in read_offices_csv(path)] == ["DE"]


def test_quoted_multiline_fields_keep_line_numbers(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path, HEADER + 'EP,regional,"European\nPatent Office",,\nDE,national,,,\nDE,,,,\n'
    )
    with pytest.raises(OfficesFileError, match=r"line 5: duplicate code 'DE' \(.*line 4\)"):
        read_offices_csv(path)


def test_accepts_path_as_string(tmp_path: Path) -> None:
    path = write_csv(tmp_path, HEADER + "DE,national,,,\n")
    assert [o.code for o in read_offices_csv(str(path))] == ["DE"]


def test_reads_shipped_file_directly() -> None:
    assert read_offices_csv(SHIPPED_OFFICES) == shipped_offices()


# --- read_offices_csv: errors ------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "pattern"),
    [
        ("DE,national,,,\nE1,national,,,\n", r"^offices\.csv line 3: invalid office code 'E1'"),
        ("DE,national,,,\nEPO,regional,EPO,,\n", r"^offices\.csv line 3: invalid office code"),
        (",national,,,\n", r"^offices\.csv line 2: invalid office code ''"),
        ("XQ,national,,,\n", r"^offices\.csv line 2: unknown country code 'XQ'$"),
        ("XQ,,,,\n", r"^offices\.csv line 2: unknown country code 'XQ'"),
        ("EA,national,,,\n", r"^offices\.csv line 2: unknown country code 'EA'$"),
        ("DE,national,,,\nFR,national,,,\nde,,,,\n", r"^offices\.csv line 4: duplicate code 'DE'"),
        ("DE,federal,,,\n", r"^offices\.csv line 2: unknown kind 'federal'"),
        ("EP,regional,,Office européen des brevets,\n", r"^offices\.csv line 2: .*needs a name_en"),
        ("IB,international,,,\n", r"^offices\.csv line 2: international office 'IB' needs"),
        ("DE,national,,,,extra\n", r"^offices\.csv line 2: 6 fields but the header has 5$"),
    ],
)
def test_invalid_rows(tmp_path: Path, body: str, pattern: str) -> None:
    path = write_csv(tmp_path, HEADER + body)
    with pytest.raises(OfficesFileError, match=pattern) as info:
        read_offices_csv(path)
    assert "\n" not in str(info.value)


def test_duplicate_names_both_lines(tmp_path: Path) -> None:
    path = write_csv(tmp_path, HEADER + "DE,national,,,\nFR,national,,,\nDE,national,,,\n")
    with pytest.raises(OfficesFileError) as info:
        read_offices_csv(path)
    assert str(info.value) == "offices.csv line 4: duplicate code 'DE' (already on line 2)"


def test_error_is_a_value_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path, HEADER + "XQ,national,,,\n")
    with pytest.raises(ValueError, match="XQ"):
        read_offices_csv(path)


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("", r"^offices\.csv: file is empty$"),
        ("\n\n  \n", r"^offices\.csv: file is empty$"),
        (HEADER, r"^offices\.csv: no offices listed$"),
        ("kind,name_en\nregional,X\n", r"^offices\.csv line 1: header has no 'code' column$"),
        ("code,country\nDE,Germany\n", r"^offices\.csv line 1: unknown column 'country'"),
        ("code,code\nDE,DE\n", r"^offices\.csv line 1: duplicate column 'code'$"),
    ],
)
def test_invalid_files(tmp_path: Path, text: str, pattern: str) -> None:
    with pytest.raises(OfficesFileError, match=pattern):
        read_offices_csv(write_csv(tmp_path, text))


def test_bom_only_file_is_empty(tmp_path: Path) -> None:
    with pytest.raises(OfficesFileError, match="empty"):
        read_offices_csv(write_csv(tmp_path, "", bom=True))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(OfficesFileError, match=r"^missing\.csv: cannot read file"):
        read_offices_csv(tmp_path / "missing.csv")


def test_directory_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(OfficesFileError, match="cannot read file"):
        read_offices_csv(tmp_path)


def test_invalid_utf8_names_line(tmp_path: Path) -> None:
    path = tmp_path / "offices.csv"
    path.write_bytes(HEADER.encode() + b"DE,national,,,\nEP,regional,Office europ\xe9en,,\n")
    with pytest.raises(OfficesFileError, match=r"^offices\.csv line 3: not valid UTF-8$"):
        read_offices_csv(path)


def test_malformed_csv_names_line(tmp_path: Path) -> None:
    path = write_csv(tmp_path, HEADER + 'DE,national,,,\nEP,regional,"European" Patent,,\n')
    with pytest.raises(OfficesFileError, match=r"^offices\.csv line 3: "):
        read_offices_csv(path)
