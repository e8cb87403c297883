"""survey.text.clean_text: what every text entering the survey becomes."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from survey.text import clean_text


def test_noncharacters_controls_and_lone_surrogates_are_dropped() -> None:
    assert clean_text("a\uffffb\ufffe\ufdd0\ufdef\U0001fffe\U0010ffffc") == "abc"
    assert clean_text("a\x00\x01\x08\x0b\x0c\x1f\x7f\x80\x9fb") == "ab"
    assert clean_text("a\ud800b\udfffc") == "abc"


def test_what_people_mean_is_kept() -> None:
    assert clean_text("line\tone\nline two\r\n") == "line\tone\nline two\r\n"
    assert clean_text("a\x85b") == "a\nb"  # NEL: a line break
    assert clean_text("👍🏽 ✓ \u200d \ufeff 中文 \U0001f468\u200d\U0001f469") == (
        "👍🏽 ✓ \u200d \ufeff 中文 \U0001f468\u200d\U0001f469"
    )
    assert clean_text("\ud83d\ude00") == "😀"  # a surrogate pair left as two code points


def test_text_is_stored_in_nfc() -> None:
    assert clean_text("e\u0301te\u0301") == "été"


# Every code point of every plane, surrogates included, and often the ones that need care.
CHARACTERS = st.one_of(
    st.characters(exclude_categories=()),
    st.sampled_from("\x00\x01\x85\x9f\ud800\udc00\ufdd0\ufffe\uffff\U0010ffff\u0301\r\t"),
)


@given(st.text(CHARACTERS))
def test_clean_text_is_safe_for_xml_and_utf8_and_idempotent(text: str) -> None:
    cleaned = clean_text(text)
    cleaned.encode("utf-8")  # no surrogate left
    assert unicodedata.is_normalized("NFC", cleaned)
    assert clean_text(cleaned) == cleaned
    for char in cleaned:
        code = ord(char)
        assert char in "\t\n\r" or 0x20 <= code < 0x7F or code > 0x9F
        assert not 0xFDD0 <= code <= 0xFDEF
        assert code & 0xFFFE != 0xFFFE
