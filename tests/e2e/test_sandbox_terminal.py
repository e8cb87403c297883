"""`python -m bot sandbox` in a pseudo-terminal: a newcomer answers in French, leaves, and a
second run resumes where they stopped."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import sys
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs

import pexpect
import pytest

TIMEOUT = 60  # seconds per expected line; a slow CI machine, not a performance bound


def spawn(workdir: Path, *args: str) -> pexpect.spawn:
    env = {k: v for k, v in os.environ.items() if k not in {"BOT_TOKEN", "DATABASE_URL"}}
    return pexpect.spawn(
        sys.executable,
        ["-m", "bot", *args],
        cwd=str(workdir),
        env={**env, "PYTHONUNBUFFERED": "1", "TERM": "dumb"},
        encoding="utf-8",
        timeout=TIMEOUT,
    )


def answered(workdir: Path) -> list[tuple[int, str]]:
    # closing(): a connection's own `with` commits but leaves it open.
    with contextlib.closing(sqlite3.connect(workdir / "data" / "sandbox.db")) as connection:
        return connection.execute(
            "SELECT recommendation, level FROM answer WHERE level IS NOT NULL "
            "ORDER BY recommendation"
        ).fetchall()


def test_the_sandbox_walks_through_the_survey_in_french(tmp_path: Path) -> None:
    # `python -m bot` without BOT_TOKEN is the sandbox (the README's run command).
    chat = spawn(tmp_path, "sandbox", "--lang", "fr")
    chat.expect("Vous répondez pour")
    chat.expect(r"\[1\] ▶ Commencer")
    chat.sendline("1")
    chat.expect(r"\[1\] ✅ J’ai compris, continuer")  # the privacy notice
    chat.sendline("1")
    chat.expect("Recommandation 1 sur 40")
    chat.expect(r"\[1\] Élevée")
    chat.sendline("1")  # Élevée
    chat.expect("Recommandation 2 sur 40")
    chat.expect(r"\[4\] Sans opinion")
    chat.sendline("4")  # Sans opinion
    chat.expect("Recommandation 3 sur 40")
    chat.expect(r"\[9\] 💾 Enregistrer et quitter")
    chat.sendline("bonjour")  # text where a button is expected
    chat.expect("Veuillez utiliser les boutons")
    chat.sendline("/quit")
    chat.expect(pexpect.EOF)
    chat.close()
    assert chat.exitstatus == 0
    assert answered(tmp_path) == [(1, "high"), (2, "no_opinion")]

    again = spawn(tmp_path, "sandbox", "--lang", "fr")
    again.expect("Recommandation 3 sur 40")
    again.expect(r"\[3\] Faible")
    again.sendline("3")
    again.expect("Recommandation 4 sur 40")
    again.sendeof()
    again.expect(pexpect.EOF)
    again.close()
    assert again.exitstatus == 0
    assert answered(tmp_path) == [(1, "high"), (2, "no_opinion"), (3, "low")]


def test_plain_python_m_bot_without_a_token_is_the_sandbox(tmp_path: Path) -> None:
    chat = spawn(tmp_path)
    chat.expect("Sandbox: Bot API stand-in at http://127.0.0.1:")
    chat.expect("You are verified")
    chat.sendeof()
    chat.expect(pexpect.EOF)
    chat.close()
    assert chat.exitstatus == 0


def test_the_sandbox_prints_a_signed_link_that_opens_the_page(tmp_path: Path) -> None:
    chat = spawn(tmp_path, "sandbox", "--admin")
    chat.expect(r"(http://127\.0\.0\.1:\d+/app/)#(\S+)")
    page, fragment = chat.match.group(1), chat.match.group(2)
    chat.expect(r"http://127\.0\.0\.1:\d+/app/secretariat#")
    chat.expect("You are verified")
    init_data = parse_qs(fragment)["tgWebAppData"][0]
    with urllib.request.urlopen(page, timeout=TIMEOUT) as response:
        assert "<html" in response.read().decode()
    asked = urllib.request.Request(page + "api/me", headers={"X-Telegram-Init-Data": init_data})
    with urllib.request.urlopen(asked, timeout=TIMEOUT) as response:
        assert json.load(response)["office"]["code"] == "EP"
    forged = urllib.request.Request(
        page + "api/me", headers={"X-Telegram-Init-Data": init_data.replace("hash=", "hash=0")}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(forged, timeout=TIMEOUT)
    refused.value.close()
    assert refused.value.code == 401
    chat.sendeof()
    chat.expect(pexpect.EOF)
    chat.close()
    assert chat.exitstatus == 0


def test_the_chat_s_page_buttons_print_a_signed_link(tmp_path: Path) -> None:
    chat = spawn(tmp_path, "sandbox")
    # The menu button is set beside the welcome, not before it: either may be shown first.
    shown = {
        chat.expect(
            [
                r"\(menu button: \[0\] Open the form, opens the page\)",
                r"\[2\] 📝 Open the form \(opens the page\)",
            ]
        )
        for _ in range(2)
    }
    assert shown == {0, 1}
    chat.sendline("2")
    chat.expect("The page, signed for you")
    chat.expect(r"(http://127\.0\.0\.1:\d+/app/)#(\S+)")
    page, fragment = chat.match.group(1), chat.match.group(2)
    init_data = parse_qs(fragment)["tgWebAppData"][0]
    asked = urllib.request.Request(page + "api/me", headers={"X-Telegram-Init-Data": init_data})
    with urllib.request.urlopen(asked, timeout=TIMEOUT) as response:
        assert json.load(response)["office"]["code"] == "EP"
    chat.sendline("0")  # the menu button opens the same page
    chat.expect("The page, signed for you")
    chat.sendeof()
    chat.expect(pexpect.EOF)
    chat.close()
    assert chat.exitstatus == 0
