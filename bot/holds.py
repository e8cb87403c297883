"""Updates held while a service the bot depends on is unreachable.

A tap made while Redis or the database is down cannot be handled, and it must not be
confirmed to Telegram either, or it is gone for good. The transports (bot/polling.py,
bot/webhook.py) therefore hold such an update: polling keeps getUpdates' offset at it and
tries again after a growing pause, a webhook answers 503 so that Telegram delivers it again.
The person is told once that what they did is kept; when the service is back the update is
handled, in order with that chat's later ones (polling chains a chat's updates; Telegram
delivers a chat's webhook updates one after another). An outage that outlasts LIMIT seconds
is given up: the update is confirmed and the person told, in their language, that it was not
taken and should be repeated. Silence is never the outcome.

Both notices are sent from here, outside the dispatcher, because the dispatcher's own way of
answering (aiogram-dialog's windows, the error handlers) may need the very service that is
down; the language is what this process knows of the person, without asking the database.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Callable
from typing import Protocol

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Update, User
from aiogram.utils.i18n import I18n
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from dialogs.markup import plain
from dialogs.messages import update_held, update_not_taken

log = logging.getLogger(__name__)

LIMIT = 120.0  # seconds an update is held before the person is asked to repeat it
FIRST_PAUSE = 0.5  # seconds before the first retry; doubled each time, up to MAX_PAUSE
MAX_PAUSE = 10.0
# Passed to the dispatcher by the transports: the error handlers let an outage through to
# them instead of answering it (without it, as in dialog tests, they answer at once).
HOLD_OUTAGES = "hold_outages"
HOLDS = "holds"  # the dispatcher's `Holds`, in its workflow data (bot/bootstrap.py)


def is_database_outage(exception: BaseException) -> bool:
    """The database cannot be reached (server down, network cut, file locked or unreadable)."""
    if isinstance(exception, DBAPIError) and exception.connection_invalidated:
        return True
    return isinstance(exception, OperationalError | InterfaceError | PoolTimeout | OSError)


def _is_redis_outage(exception: BaseException) -> bool:
    # redis is imported only with REDIS_URL (bot/redis_state.py): without it, no Redis error.
    errors = sys.modules.get("redis.exceptions")
    if errors is None:
        return False
    unreachable = errors.ConnectionError | errors.TimeoutError | errors.BusyLoadingError
    return isinstance(exception, unreachable)


def outage_of(exception: BaseException) -> BaseException | None:
    """The unreachable service's error behind `exception`, if any: then the update may
    succeed later, unchanged. Looks through the exceptions it was raised from or while
    handling (an error handler that failed in turn because Redis is down, a driver's error
    inside SQLAlchemy's)."""
    seen: set[int] = set()
    current: BaseException | None = exception
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if is_database_outage(current) or _is_redis_outage(current):
            return current
        current = current.__cause__ or current.__context__
    return None


def is_outage(exception: BaseException) -> bool:
    return outage_of(exception) is not None


class HoldEvents(Protocol):
    """Who counts holds (bot/metrics.py)."""

    def update_held(self) -> None: ...

    def update_given_up(self) -> None: ...


LocaleOf = Callable[[User | None], str]


def pause_before(attempt: int) -> float:
    """Seconds to wait before trying a held update again for the `attempt`-th time."""
    return min(MAX_PAUSE, FIRST_PAUSE * 2.0 ** max(0, attempt - 1))


class Holds:
    """The policy both transports follow, and the two notices. One per dispatcher."""

    def __init__(
        self,
        i18n: I18n,
        locale_of: LocaleOf,
        *,
        limit: float = LIMIT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.i18n = i18n
        self.locale_of = locale_of
        self.limit = limit
        self.clock = clock
        self.events: HoldEvents | None = None

    def expired(self, held_since: float) -> bool:
        return self.clock() - held_since >= self.limit

    async def held(self, bot: Bot, update: Update, exception: BaseException) -> None:
        """The first time an update is held: logged, counted, and the person told."""
        cause = outage_of(exception) or exception
        log.warning(
            "Update %d held: a service is unreachable (%s: %s); trying again",
            update.update_id,
            type(cause).__name__,
            _first_line(cause),
        )
        if self.events is not None:
            self.events.update_held()
        await self._tell(bot, update, update_held, alert=False)

    def still_held(self, update: Update, exception: BaseException) -> None:
        cause = outage_of(exception) or exception
        log.info(
            "Update %d still held: %s: %s",
            update.update_id,
            type(cause).__name__,
            _first_line(cause),
        )

    async def given_up(self, bot: Bot, update: Update) -> None:
        log.error(
            "Update %d given up after %.0f s of outage; the person is asked to repeat it",
            update.update_id,
            self.limit,
        )
        if self.events is not None:
            self.events.update_given_up()
        await self._tell(bot, update, update_not_taken, alert=True)

    async def _tell(
        self, bot: Bot, update: Update, text: Callable[[], str], *, alert: bool
    ) -> None:
        press, message = update.callback_query, update.message
        user = press.from_user if press is not None else message.from_user if message else None
        with self.i18n.context(), self.i18n.use_locale(self.locale_of(user)):
            said = text()
        await tell_person(bot, update, said, alert=alert)


async def tell_person(bot: Bot, update: Update, said: str, *, alert: bool) -> None:
    """Say `said` to whoever sent `update`, outside the dispatcher: a toast on the button
    pressed, or (`alert`) a message in the chat."""
    press, message = update.callback_query, update.message
    user = press.from_user if press is not None else message.from_user if message else None
    chat_id = message.chat.id if message is not None else user.id if user else None
    if chat_id is None:
        return
    try:
        if press is not None and not alert:
            # A toast on the button; the press is answered again when it is handled,
            # which Telegram refuses harmlessly (bot/retry.py ExpiredPressMiddleware).
            await bot.answer_callback_query(press.id, text=plain(said)[:200])
            return
        if press is not None:
            with contextlib.suppress(TelegramAPIError):  # long expired by now: the chat
                await bot.answer_callback_query(press.id)
        await bot.send_message(chat_id, said)
    except TelegramAPIError as exc:
        log.warning("Could not tell the person about update %s: %s", update.update_id, exc)


def _first_line(exception: BaseException) -> str:
    text = str(exception).strip() or type(exception).__name__
    return text.splitlines()[0][:200]
