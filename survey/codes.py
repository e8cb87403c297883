"""Invitation codes: random, shown once, stored only as a hash."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

# 18 random bytes = 144 bits, 24 URL-safe characters: fits a t.me deep-link start parameter
# (at most 64 characters of A-Z, a-z, 0-9, _ and -).
CODE_BYTES = 18
_CODE_SHAPE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_code() -> str:
    # A leading "-" would read as an option on a command line (`invites revoke -Ab...`).
    while (code := secrets.token_urlsafe(CODE_BYTES)).startswith("-"):
        pass
    return code


def normalize_code(text: str) -> str:
    """What a person pastes: maybe with spaces, maybe the whole deep link."""
    text = text.strip()
    if "start=" in text:
        text = text.rsplit("start=", 1)[1]
    return text.strip().strip("`'\"<>")


def looks_like_code(text: str) -> bool:
    return bool(_CODE_SHAPE.match(text))


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def hashes_match(stored_hash: str, code: str) -> bool:
    return hmac.compare_digest(stored_hash, hash_code(code))
