"""The survey's pure rules that need no database: what counts as a comment."""

from __future__ import annotations

import pytest

from survey import codes
from survey.errors import Reason, Refused
from survey.rules import MAX_COMMENT_LENGTH, check_comment

INVISIBLE = {
    "zero-width space": "\u200b",
    "zero-width non-joiner": "\u200c",
    "zero-width joiner": "\u200d",
    "word joiner": "\u2060",
    "byte order mark": "\ufeff",
    "soft hyphen": "\u00ad",
    "left-to-right mark": "\u200e",
    "no-break space": "\u00a0",
    "narrow no-break space": "\u202f",
    "ideographic space": "\u3000",
    "hangul filler": "\u3164",
}


@pytest.mark.parametrize("char", list(INVISIBLE.values()), ids=list(INVISIBLE))
def test_a_comment_of_invisible_characters_is_no_comment(char: str) -> None:
    assert check_comment(char) is None
    assert check_comment(f" {char}\n{char * 3}\t") is None


def test_a_mix_of_every_invisible_character_is_no_comment() -> None:
    assert check_comment(" \n".join(INVISIBLE.values()) * 50) is None


def test_a_real_comment_keeps_its_inner_text_as_typed() -> None:
    typed = "Prioridad\u00a0alta \u2014 co\u00adoperation, \U0001f468\u200d\U0001f4bb team"
    assert check_comment(f"\u200b\ufeff  {typed} \u2060\u00a0\n") == typed
    assert check_comment("  plain  ") == "plain"
    # An emoji's own invisible parts at the end belong to it.
    assert check_comment("agreed \u2764\ufe0f") == "agreed \u2764\ufe0f"
    scotland = "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"
    assert check_comment(f"yes {scotland}") == f"yes {scotland}"


def test_the_limit_counts_what_is_kept() -> None:
    padded = "\u200b" * 20 + "x" * MAX_COMMENT_LENGTH + "\u2060" * 20
    assert check_comment(padded) == "x" * MAX_COMMENT_LENGTH
    with pytest.raises(Refused) as refused:
        check_comment("x" * (MAX_COMMENT_LENGTH + 1))
    assert refused.value.reason is Reason.COMMENT_TOO_LONG


def test_new_codes_never_start_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    issued = iter(["-starts-with-a-dash-000000", "Zk3uXQ-fine-code-00000000"])
    monkeypatch.setattr(codes.secrets, "token_urlsafe", lambda _size: next(issued))
    assert codes.new_code() == "Zk3uXQ-fine-code-00000000"
