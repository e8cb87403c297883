"""A local stand-in for the Telegram Bot API, for tests and for trying the bot offline.

`TelegramStandIn` (in `standin.telegram`) serves the Bot API over HTTP on 127.0.0.1;
point a bot at it with `TELEGRAM_API_URL`. Run it alone with `python -m standin --port 8081`.
It knows nothing of the survey bot: `python -m bot sandbox` (`bot/sandbox.py`) starts it with
the real bot and a terminal chat (`standin.terminal`).
"""
