"""The Mini App: the representative's page with all 40 Recommendations on one draft shared
with the chat, and the Secretariat's dashboard, served by the bot's own aiohttp server and
authenticated by Telegram's signed launch data (no cookies or tokens of our own).

Dependencies point one way: `bot` → `webapp` → `survey` (and `reports`, `dialogs` for the
texts the chat and the page share)."""
