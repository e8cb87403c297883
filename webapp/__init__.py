"""The Mini App: the representative's page with all 40 Recommendations on one draft shared
with the chat, and the Secretariat's dashboard, served by the bot's own aiohttp server and
authenticated by Telegram's signed launch data (no cookies or tokens of our own).

The page reuses what the chat already decides and says (`dialogs`: the notice, the receipt,
the reminders, the stages' names) and the process's settings (`bot.config`); `bot` mounts it
on its server. The survey's rules stay in `survey`, called through the same use cases."""
