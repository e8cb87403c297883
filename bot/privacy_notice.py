"""The privacy notice a person acknowledges before their first answer: the catalogs' text, or
the Secretariat's own (PRIVACY_NOTICE_PATH: one text per language, no code change needed).

Each acknowledgement records the notice's version, so a new text can be told apart from the
one a person saw: the checksum of the file, or of the catalogs' English source text.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.config import ConfigError, Settings

LANGUAGES = ("en", "fr", "es")
# What a file's text may ask to have filled in; anything else in braces is refused at start-up.
PLACEHOLDERS = frozenset({"contact", "retention"})
# Room left in a Telegram message (4096) for the title and the retention sentence.
LONGEST_TEXT = 3500


@dataclass(frozen=True, slots=True)
class NoticeText:
    """The texts of a file, one per language, or none: the catalogs' text is used."""

    texts: Mapping[str, str]
    version: str

    def text(self, language: str) -> str | None:
        return self.texts.get(language) or self.texts.get("en")


def checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def catalog_version(english_source: str) -> str:
    return "catalog-" + checksum(english_source.encode())


def load_notice_file(path: Path) -> NoticeText:
    """Read and check the file; a problem is one line for the operator (ConfigError)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"PRIVACY_NOTICE_PATH: cannot read {path}: {exc.strerror}") from None
    try:
        content = yaml.safe_load(data.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError):
        raise ConfigError(
            f"PRIVACY_NOTICE_PATH: {path} is not a UTF-8 YAML file (en: ..., fr: ..., es: ...)"
        ) from None
    if not isinstance(content, dict):
        raise ConfigError(f"PRIVACY_NOTICE_PATH: {path} must map en, fr and es to a text")
    texts: dict[str, str] = {}
    for language in LANGUAGES:
        text = content.get(language)
        if not isinstance(text, str) or not text.strip():
            raise ConfigError(f"PRIVACY_NOTICE_PATH: {path} has no text for {language!r}")
        _check_text(path, language, text)
        texts[language] = text.strip()
    return NoticeText(texts, "file-" + checksum(data))


def _check_text(path: Path, language: str, text: str) -> None:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        names = {"?"}
    unknown = names - PLACEHOLDERS
    if unknown:
        raise ConfigError(
            f"PRIVACY_NOTICE_PATH: the {language!r} text of {path} may use only {{contact}} "
            "and {retention} in braces (write {{ and }} for a brace)"
        )
    if len(text) > LONGEST_TEXT:
        raise ConfigError(
            f"PRIVACY_NOTICE_PATH: the {language!r} text of {path} is longer than "
            f"{LONGEST_TEXT} characters, more than a Telegram message holds"
        )


def configured_notice(settings: Settings) -> NoticeText | None:
    """The Secretariat's file if one is set (checked now, at start-up), else None."""
    if settings.privacy_notice_path is None:
        return None
    return load_notice_file(settings.privacy_notice_path)
