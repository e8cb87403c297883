"""Each private chat's dialog state stays its own and loadable, and no handler runs without
the dialog manager it needs.

aiogram-dialog keeps a stack of windows per chat. Three things could break a chat for good:
- a press whose sender is not the private chat's own user (Telegram never sends one, but a
  forged or bridged update can) would start a stack of that stranger's inside the chat, with
  access for them only; the real person's next press on it is denied, and a denied press
  reaches the handlers without a dialog manager;
- a stored stack or window that cannot be loaded: states renamed since it was stored, a
  record written by something else (another bot on the same Redis), or not JSON at all;
  aiogram-dialog then fails on every update of that chat, and holds the chat's lock;
- anything else that leaves a handler without its dialog manager.
So: strangers' presses are answered and dropped before aiogram-dialog sees them
(`StrangerFilter`); the chat's own user always has access to its stack (`OwnChatAccess`); a
record that does not have the shape aiogram-dialog stores is read as absent
(`CheckedDialogStorage`), so the chat starts afresh; and `RequireDialogManager`, the one
place every handler passes through, resets the chat's stack rather than call a handler
without its manager. The error handler (bot/errors.py `stale_dialog`) then puts the person
where the database says, with one line: "your place was restored".
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any

from aiogram import BaseMiddleware, Dispatcher, Router
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.enums import ChatType
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from aiogram.types import CallbackQuery, Chat, ErrorEvent, Message, TelegramObject, User
from aiogram_dialog import ChatEvent
from aiogram_dialog.api.entities import DEFAULT_STACK_ID, Context, Stack
from aiogram_dialog.api.protocols import StackAccessValidator

from bot.holds import is_outage
from dialogs.messages import unexpected_error
from dialogs.presses import answer_press

log = logging.getLogger(__name__)

MANAGER = "dialog_manager"
# Where aiogram-dialog keeps a chat's stacks and windows in the FSM storage: the "destiny"
# of each key (its storage format, which a stored record must match to be loaded).
STACK_DESTINY = "aiogd:stack:"
CONTEXT_DESTINY = "aiogd:context:"
_STACK_FIELDS = frozenset(Stack.__dataclass_fields__) - {"access_settings"}
_CONTEXT_FIELDS = frozenset(Context.__dataclass_fields__)
_CONTEXT_REQUIRED = frozenset({"_intent_id", "_stack_id", "state"})


class DialogStateResetError(Exception):
    """A chat's dialog stack could not be used and was reset: the error handler routes the
    person from the database (bot/errors.py)."""


def is_private(chat: Chat | None) -> bool:
    # By value: an update decoded from JSON holds the plain string, not the enum member.
    return chat is not None and chat.type == ChatType.PRIVATE.value


class StrangerFilter(BaseMiddleware):
    """Outer middleware on messages and presses, before aiogram-dialog's: in a private chat,
    only that chat's user acts. Anyone else's press is answered (so their button stops
    spinning) and nothing else happens; a message is ignored."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        chat: Chat | None = data.get("event_chat")
        user: User | None = data.get("event_from_user")
        if is_private(chat) and user is not None and chat is not None and user.id != chat.id:
            # Telegram ids only at DEBUG: they name people (bot/logs.py).
            log.debug("Ignored a %s of user %s in the private chat of %s",
                      type(event).__name__, user.id, chat.id)  # fmt: skip
            log.info("Ignored a %s from someone else in a private chat", type(event).__name__)
            if isinstance(event, CallbackQuery):
                await event.answer()
            return None
        return await handler(event, data)


class OwnChatAccess(StackAccessValidator):
    """A private chat's own user may always use its stacks (whatever access a record names);
    elsewhere, the access aiogram-dialog stored."""

    async def is_allowed(
        self, stack: Stack, context: Context | None, event: ChatEvent, data: dict[str, Any]
    ) -> bool:
        chat: Chat | None = data.get("event_chat")
        user: User | None = data.get("event_from_user")
        if is_private(chat):
            return user is None or chat is None or user.id == chat.id
        settings = context.access_settings if context else stack.access_settings
        if not settings or not settings.user_ids:
            return True
        return user is not None and user.id in settings.user_ids


def _stack_fits(data: Mapping[str, Any]) -> bool:
    if not set(data) <= _STACK_FIELDS:
        return False
    intents = data.get("intents", [])
    if not isinstance(intents, list) or not all(isinstance(i, str) for i in intents):
        return False
    message_id = data.get("last_message_id")
    return isinstance(data.get("_id", ""), str) and (
        message_id is None or isinstance(message_id, int)
    )


class CheckedDialogStorage(BaseStorage):
    """The dialog state storage, reading as absent any stack or window record that
    aiogram-dialog could not load (and remembering whose chat it was, to say so)."""

    REMEMBERED = 10_000  # chats reset lately, until the error handler has told them

    def __init__(self, storage: BaseStorage, known_states: Callable[[], Collection[str]]) -> None:
        self.storage = storage
        self._known_states = known_states
        self._reset: OrderedDict[int, None] = OrderedDict()

    def mark_reset(self, chat_id: int) -> None:
        self._reset[chat_id] = None
        while len(self._reset) > self.REMEMBERED:
            self._reset.popitem(last=False)

    def take_reset(self, chat_id: int) -> bool:
        """Whether this chat's state was reset since it was last told (and forget it)."""
        return self._reset.pop(chat_id, False) is None

    async def reset_stack(self, bot_id: int, chat_id: int) -> None:
        """Empty the chat's default stack: its next update starts afresh."""
        key = StorageKey(
            bot_id=bot_id,
            chat_id=chat_id,
            user_id=chat_id,
            destiny=f"{STACK_DESTINY}{DEFAULT_STACK_ID}",
        )
        await self.storage.set_data(key, {})
        self.mark_reset(chat_id)

    def _fits(self, key: StorageKey, data: object) -> bool:
        if not isinstance(data, dict):
            return False
        if not data:
            return True
        if key.destiny.startswith(STACK_DESTINY):
            return _stack_fits(data)
        if key.destiny.startswith(CONTEXT_DESTINY):
            return (
                _CONTEXT_REQUIRED <= set(data) <= _CONTEXT_FIELDS
                and data.get("state") in self._known_states()
                and isinstance(data.get("dialog_data", {}), dict)
                and isinstance(data.get("widget_data", {}), dict)
                and isinstance(data.get("access_settings") or {}, dict)
            )
        return True

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        try:
            data: object = await self.storage.get_data(key)
        except Exception as exc:  # not JSON, not an object, a Redis key of another type...
            if is_outage(exc):
                raise  # ...but an unreachable Redis is held, not forgotten (bot/holds.py)
            data = exc
        if self._fits(key, data):
            assert isinstance(data, dict)
            return data
        # Neither the chat (a person's id) nor the state (it may hold what they typed).
        log.warning(
            "Dialog state %s cannot be loaded (%s): starting afresh",
            key.destiny,
            type(data).__name__,
        )
        self.mark_reset(key.chat_id)
        return {}

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self.storage.set_data(key, data)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self.storage.set_state(key, state)

    async def get_state(self, key: StorageKey) -> str | None:
        return await self.storage.get_state(key)

    async def close(self) -> None:
        await self.storage.close()


class RequireDialogManager(BaseMiddleware):
    """Inner middleware, after aiogram-dialog's: a handler that takes the dialog manager is
    never called without one. The chat's stack is reset instead, and `DialogStateResetError`
    goes to the error handler, which gets a manager on the fresh stack."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        target: HandlerObject | None = data.get("handler")
        if MANAGER in data or target is None or MANAGER not in target.params:
            return await handler(event, data)
        if isinstance(event, ErrorEvent):
            # An error about an update aiogram-dialog does not follow (no chat): no window
            # to put anyone back in, so just a clear word.
            log.warning("No dialog for the error %r: answered plainly", event.exception)
            await _answer_plainly(event.update.callback_query or event.update.message)
            return None
        chat: Chat | None = data.get("event_chat")
        if chat is None or not isinstance(event, Message | CallbackQuery):
            log.info("No dialog for a %s without a chat: answered", type(event).__name__)
            await _answer_plainly(event if isinstance(event, CallbackQuery) else None)
            return None
        log.warning("A dialog stack could not be used: resetting it")
        storage = data.get("fsm_storage")
        if isinstance(storage, CheckedDialogStorage):
            await storage.reset_stack(data["bot"].id, chat.id)
        raise DialogStateResetError(f"dialog stack of chat {chat.id} reset")


async def _answer_plainly(event: Message | CallbackQuery | None) -> None:
    if isinstance(event, CallbackQuery):
        await answer_press(event)
    elif isinstance(event, Message):
        await event.answer(unexpected_error())


def known_states(dispatcher: Dispatcher) -> Callable[[], frozenset[str]]:
    """The names of every state of the dialogs included in `dispatcher` (read once, when
    first asked: the dialogs are all included by then)."""
    from aiogram_dialog import Dialog

    found: list[frozenset[str]] = []

    def names() -> frozenset[str]:
        if not found:
            states: set[str] = set()
            routers: list[Router] = [dispatcher]
            while routers:
                router = routers.pop()
                routers.extend(router.sub_routers)
                if isinstance(router, Dialog):
                    states.update(s.state for s in router.states_group().__all_states__ if s.state)
            found.append(frozenset(states))
        return found[0]

    return names
