"""Poison updates: one whose handling kills the process is not handled a third time.

Updates are confirmed to Telegram only once handled (bot/polling.py, bot/webhook.py), so an
update whose handling kills the process (out of memory, a crash, SIGKILL) comes again after
the restart, and would kill the next process too, for ever. So the transports record each
update they have in hand before handling it and forget it once handled: an update found
still in hand is one a process died with. After TRIES such deaths, the update is confirmed
without being handled, its person is told in their language that their last message could
not be processed, and one log line names its kind and id (never its content, names or user
ids). The next update is then served.

The record is kept where dialog state is, and for the same reason (it must outlive the
process): in Redis with REDIS_URL (one counter per update, shared by the webhook replicas),
else in a small journal file beside DIALOG_STATE_PATH, appended to with a plain write()
before and after each update (the kernel has it once write() returns: a killed process
cannot lose it) and compacted at start. A few microseconds an update (bench/README.md).

An update held in an outage (bot/holds.py) is put down while it waits, then taken again for
each new attempt: a process stopped or killed while it waits has not died of it. One cut
short at shutdown (SIGTERM) is put down too.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from aiogram import Bot
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import Update, User
from aiogram.utils.i18n import I18n

from bot.config import Settings
from bot.dialog_state import IN_MEMORY
from bot.holds import tell_person
from dialogs.messages import update_not_processed

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

# Deaths of a process while an update was in hand after which it is skipped: a first death
# may be bad luck (the machine short of memory for everyone), a second is the update.
TRIES = 2
POISON = "poison"  # the dispatcher's `Poison`, in its workflow data (bot/bootstrap.py)
# Updates remembered as having died with a process but not yet skipped: Telegram keeps an
# unconfirmed update a day at most, so older ones never come again. The highest ids are kept.
REMEMBERED = 1000
COMPACT_AT = 1 << 20  # bytes of journal written in one run before it is compacted again
REDIS_TTL = 24 * 3600  # seconds: Telegram keeps an unconfirmed update a day at most


class UpdatesInHand(Protocol):
    """Where the updates being handled are recorded."""

    async def take(self, update_id: int, kind: str) -> int:
        """Record `update_id` as in hand; return how many processes died with it before."""
        ...

    async def put_down(self, update_id: int) -> None:
        """Not in hand any more, not handled either (held in an outage, cut short)."""
        ...

    async def done(self, update_id: int) -> None:
        """Handled (or skipped): forgotten."""
        ...

    async def close(self) -> None: ...


def read_journal(path: Path) -> dict[int, tuple[str, int]]:
    """What a journal says: each update in hand when a process died, its kind, and how many
    times (a take neither put down nor done is a death)."""
    counts: dict[int, tuple[str, int]] = {}
    try:
        text = path.read_bytes().decode("ascii", "replace")
    except FileNotFoundError:
        return counts
    for line in text.splitlines():
        parts = line.split()
        try:
            event, update_id = parts[0], int(parts[1])
            kind, count = counts.get(update_id, ("update", 0))
            if event == "T":
                counts[update_id] = (parts[2], count + 1)
            elif event == "X":
                counts[update_id] = (parts[2], count + int(parts[3]))
            elif event == "U":
                counts[update_id] = (kind, count - 1)
            elif event == "D":
                counts.pop(update_id, None)
        except (IndexError, ValueError):
            continue  # a line cut by a power cut: its update counts a death fewer
    return {i: (kind, n) for i, (kind, n) in counts.items() if n > 0}


class InHandJournal:
    """The record in a local file, this process's alone (a lock beside it says so).

    One line per event: `T id kind` taken, `U id` put down, `D id` done, and `X id kind n`
    (n deaths before) written by compaction. At start the file is read (a death is a take
    neither put down nor done), then rewritten with the X lines alone."""

    def __init__(self, path: Path, *, remembered: int = REMEMBERED) -> None:
        self.path = path
        self.remembered = remembered
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            # Released by the kernel however the process ends, SIGKILL included.
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock)
            raise
        # update id -> (kind, deaths before this run + takes in this run not put down)
        self._in_hand = read_journal(path)
        self.died = dict(self._in_hand)  # found at start: (kind, deaths)
        self._fd = -1
        self._written = 0
        self._compact()

    def _compact(self) -> None:
        """Rewrite the journal as what it says now: the deaths, and what is in hand."""
        kept = sorted(self._in_hand.items())[-self.remembered :]
        self._in_hand = dict(kept)
        lines = "".join(f"X {i} {kind} {n}\n" for i, (kind, n) in kept if n > 0)
        fresh = self.path.with_name(self.path.name + ".new")
        with fresh.open("w", encoding="ascii") as out:
            out.write(lines)
            out.flush()
            os.fsync(out.fileno())
        os.replace(fresh, self.path)
        if self._fd >= 0:
            os.close(self._fd)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        self._written = 0

    def _append(self, line: str) -> None:
        data = line.encode("ascii")
        os.write(self._fd, data)
        self._written += len(data)
        if self._written > COMPACT_AT:
            self._compact()

    async def take(self, update_id: int, kind: str) -> int:
        known = self._in_hand.get(update_id)
        before = known[1] if known else 0
        self._in_hand[update_id] = (kind, before + 1)
        self._append(f"T {update_id} {kind}\n")
        return before

    async def put_down(self, update_id: int) -> None:
        known = self._in_hand.get(update_id)
        if known is None:
            return
        self._in_hand[update_id] = (known[0], known[1] - 1)
        self._append(f"U {update_id}\n")

    async def done(self, update_id: int) -> None:
        if self._in_hand.pop(update_id, None) is not None:
            self._append(f"D {update_id}\n")

    async def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if self._lock >= 0:
            os.close(self._lock)  # the lock with it
            self._lock = -1


_TAKE = """
local taken = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1])
return taken
"""


class InHandRedis:
    """The record in Redis: a counter per update, raised when it is taken, deleted once it is
    done; replicas share it. A counter above one means processes died with it."""

    def __init__(self, redis: Redis, namespace: str, *, ttl: int = REDIS_TTL) -> None:
        self.redis = redis
        self.namespace = namespace
        self.ttl = ttl
        # INCR and EXPIRE in one command: one round trip before each update, half what a
        # pipeline of the two costs in redis-py.
        self._take = redis.register_script(_TAKE)

    def _key(self, update_id: int) -> str:
        return f"{self.namespace}:{update_id}"

    async def take(self, update_id: int, kind: str) -> int:
        taken = await self._take(keys=[self._key(update_id)], args=[self.ttl])
        return int(taken) - 1

    async def put_down(self, update_id: int) -> None:
        await self.redis.decr(self._key(update_id))

    async def done(self, update_id: int) -> None:
        await self.redis.delete(self._key(update_id))

    async def close(self) -> None:
        pass  # the client is the dialog state storage's, closed with it


def kind_of(update: Update) -> str:
    """What the update is, for the log: its type, and whether it carries a file."""
    try:
        kind = update.event_type
    except Exception:  # a type aiogram does not know
        return "update"
    message = update.message
    if message is not None and message.document is not None:
        return "message-with-document"
    return kind


LocaleLookup = Callable[[User | None], Awaitable[str]]


class Poison:
    """The policy both transports follow, and the notice. One per dispatcher; it records
    nothing until `python -m bot run` gives it a record (`use`)."""

    def __init__(
        self, i18n: I18n, locale_of: LocaleLookup, contact: str, *, tries: int = TRIES
    ) -> None:
        self.i18n = i18n
        self.locale_of = locale_of
        self.contact = contact
        self.tries = tries
        self.record: UpdatesInHand | None = None

    def use(self, record: UpdatesInHand | None) -> None:
        self.record = record

    def hand(self, update: Update) -> Hand:
        return Hand(self, update)

    async def skip(self, bot: Bot, update: Update, deaths: int) -> None:
        log.error(
            "Update %d (%s) skipped: %d process(es) died while handling it; "
            "its sender is told it could not be processed",
            update.update_id,
            kind_of(update),
            deaths,
        )
        user = update.message.from_user if update.message else None
        if update.callback_query is not None:
            user = update.callback_query.from_user
        locale = await self.locale_of(user)
        with self.i18n.context(), self.i18n.use_locale(locale):
            said = update_not_processed(self.contact)
        await tell_person(bot, update, said, alert=True)


class Hand:
    """One update in a transport's hands: taken before each attempt at handling it, put down
    while it waits (held) or when cut short, done at the end."""

    __slots__ = ("known", "poison", "taken", "update")

    def __init__(self, poison: Poison, update: Update) -> None:
        self.poison = poison
        self.update = update
        self.taken = False  # in hand now
        self.known = False  # in the record

    async def take(self, bot: Bot) -> bool:
        """Before handling: False if it is poison (then skipped, confirmed, person told)."""
        record = self.poison.record
        if record is None:
            return True
        update = self.update
        deaths = await record.take(update.update_id, kind_of(update))
        self.taken = self.known = True
        if deaths < self.poison.tries:
            return True
        await self.done()
        await self.poison.skip(bot, update, deaths)
        return False

    async def put_down(self) -> None:
        record = self.poison.record
        if record is None or not self.taken:
            return
        self.taken = False
        try:
            await record.put_down(self.update.update_id)
        except Exception as exc:  # the service holding it is down: one death too many
            log.warning("Could not put update %d down: %s", self.update.update_id, exc)

    async def done(self) -> None:
        """Handled, skipped or given up: forgotten."""
        record = self.poison.record
        if record is None or not self.known:
            return
        self.taken = self.known = False
        try:
            await record.done(self.update.update_id)
        except Exception as exc:  # it stays counted: it expires (Redis) or is never seen again
            log.warning("Could not forget update %d: %s", self.update.update_id, exc)


def updates_in_hand(settings: Settings, storage: BaseStorage, bot_id: int) -> UpdatesInHand | None:
    """Where the updates in hand are recorded: beside the dialog state (bot/dialog_state.py),
    in Redis with REDIS_URL, else in a journal beside DIALOG_STATE_PATH; nowhere when that is
    `:memory:` (nothing outlives the process there anyway)."""
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisStorage

        if isinstance(storage, RedisStorage):
            return InHandRedis(storage.redis, f"in_hand:{bot_id}")
        return None
    if settings.dialog_state_path == IN_MEMORY:
        return None
    return open_journal(journal_path(settings.dialog_state_path))


def journal_path(dialog_state_path: Path) -> Path:
    return dialog_state_path.with_name(dialog_state_path.name + ".in-hand")


def open_journal(path: Path) -> InHandJournal | None:
    """The journal, or None (one line) when another process of this machine holds it."""
    try:
        journal = InHandJournal(path)
    except BlockingIOError:
        log.warning("Another process uses %s: the updates it has in hand are not recorded", path)
        return None
    for update_id, (kind, deaths) in sorted(journal.died.items()):
        log.warning("Update %d (%s) was in hand when %d process(es) died", update_id, kind, deaths)
    return journal
