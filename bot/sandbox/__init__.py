"""A local stand-in for the Telegram Bot API, for tests and for trying the bot offline.

`TelegramStandIn` (in `bot.sandbox.telegram`) serves the Bot API over HTTP on 127.0.0.1;
point the bot at it with `TELEGRAM_API_URL`. Run it alone with
`python -m bot.sandbox.telegram --port 8081`.
"""
