"""The Bot API methods the stand-in implements, on top of `State`.

Parameters arrive as form fields (strings, objects JSON-encoded), multipart parts or a JSON
body; `Params` turns all three into the same typed values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from standin import limits
from standin.limits import ApiError, FormattedText, bad_request
from standin.state import (
    CallbackAnswer,
    Chat,
    ChatMessage,
    State,
    StoredFile,
    Webhook,
)

# Fields whose values are objects or arrays: JSON-encoded in form requests.
JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "allowed_updates",
        "commands",
        "scope",
        "entities",
        "caption_entities",
        "link_preview_options",
        "reply_parameters",
        "media",
        "menu_button",
    }
)
INT_FIELDS = frozenset(
    {
        "chat_id",
        "message_id",
        "offset",
        "limit",
        "timeout",
        "user_id",
        "cache_time",
        "max_connections",
        "reply_to_message_id",
        "message_thread_id",
    }
)
BOOL_FIELDS = frozenset(
    {
        "show_alert",
        "drop_pending_updates",
        "disable_notification",
        "protect_content",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "has_spoiler",
        "disable_content_type_detection",
        "show_caption_above_media",
        "allow_paid_broadcast",
    }
)
_INT = re.compile(r"-?\d+")
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
MAX_POLL_TIMEOUT = 300


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class Described:
    """A result that comes with a `description` beside it (setWebhook, deleteWebhook)."""

    result: Any
    description: str


class _Undecodable:
    def __init__(self, raw: str) -> None:
        self.raw = raw


class Params:
    """A request's parameters with the types Telegram gives them, however they were sent."""

    def __init__(
        self, values: Mapping[str, Any], uploads: Mapping[str, Upload] | None = None
    ) -> None:
        self.uploads = dict(uploads or {})
        self._values = {name: self._normalize(name, value) for name, value in values.items()}

    @staticmethod
    def _normalize(name: str, value: Any) -> Any:
        if isinstance(value, str):
            if name in JSON_FIELDS:
                try:
                    return json.loads(value)
                except ValueError:
                    return _Undecodable(value)
            if name in INT_FIELDS and _INT.fullmatch(value.strip()):
                return int(value.strip())
            if name in BOOL_FIELDS:
                return value.strip().lower() in {"true", "1"}
        return value

    def logged(self) -> dict[str, Any]:
        """The parameters as the call log keeps them (files as name and size)."""
        out: dict[str, Any] = {}
        for name, value in self._values.items():
            out[name] = value.raw if isinstance(value, _Undecodable) else value
        for name, upload in self.uploads.items():
            out[name] = {"filename": upload.filename, "size": len(upload.data)}
        return out

    def has(self, name: str) -> bool:
        return self._values.get(name) is not None

    def value(self, name: str) -> Any:
        value = self._values.get(name)
        if isinstance(value, _Undecodable):
            if name == "reply_markup":
                raise bad_request("can't parse reply keyboard markup JSON object")
            raise bad_request(f"can't parse {name} JSON object")
        return value

    def text(self, name: str) -> str | None:
        value = self.value(name)
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float | str):
            return str(value)
        raise bad_request(f"field {name!r} must be of type String")

    def number(self, name: str, default: int | None = None) -> int | None:
        value = self.value(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and _INT.fullmatch(value.strip()):
            return int(value.strip())
        raise bad_request(f"invalid {name} specified")

    def flag(self, name: str) -> bool:
        value = self.value(name)
        if isinstance(value, str):
            return value.strip().lower() in {"true", "1"}
        return bool(value)


Handler = Callable[[Params], Awaitable[Any]]


class BotApi:
    """Each method takes Params and returns the `result`, or raises ApiError."""

    def __init__(self, state: State) -> None:
        self.state = state
        handlers: dict[str, Handler] = {
            "getMe": self.get_me,
            "logOut": self.log_out,
            "close": self.close,
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "sendMessage": self.send_message,
            "editMessageText": self.edit_message_text,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "editMessageCaption": self.edit_message_caption,
            "deleteMessage": self.delete_message,
            "answerCallbackQuery": self.answer_callback_query,
            "sendPhoto": self.send_photo,
            "sendDocument": self.send_document,
            "getFile": self.get_file,
            "sendChatAction": self.send_chat_action,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "setMyDescription": self.set_my_description,
            "getMyDescription": self.get_my_description,
            "setMyShortDescription": self.set_my_short_description,
            "getMyShortDescription": self.get_my_short_description,
            "setChatMenuButton": self.set_chat_menu_button,
            "getChatMenuButton": self.get_chat_menu_button,
        }
        self._handlers = handlers
        # Telegram's method names are case-insensitive.
        self._names = {name.lower(): name for name in handlers}

    def canonical(self, method: str) -> str | None:
        return self._names.get(method.lower())

    async def call(self, method: str, params: Params) -> Any:
        name = self.canonical(method)
        if name is None:
            raise ApiError(404, limits.NOT_FOUND)
        return await self._handlers[name](params)

    # -- the bot -------------------------------------------------------------------------------

    async def get_me(self, params: Params) -> Any:
        return {
            **self.state.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def log_out(self, params: Params) -> Any:
        return True

    async def close(self, params: Params) -> Any:
        return True

    # -- updates -------------------------------------------------------------------------------

    async def get_updates(self, params: Params) -> Any:
        state = self.state
        if state.webhook is not None:
            raise ApiError(409, limits.WEBHOOK_CONFLICT)
        offset = params.number("offset")
        limit = min(max(params.number("limit", 100) or 100, 1), 100)
        timeout = min(max(params.number("timeout", 0) or 0, 0), MAX_POLL_TIMEOUT)
        state.set_allowed_updates(params.value("allowed_updates"))
        state.confirm(offset)
        state.poll_generation += 1
        generation = state.poll_generation
        # Wakes an older long poll, which then answers "terminated by other getUpdates".
        await state.changed()
        await state.wait_until(
            lambda: (
                bool(state.pending)
                or state.poll_generation != generation
                or state.webhook is not None
                or state.closing
            ),
            timeout,
        )
        if state.poll_generation != generation:
            raise ApiError(409, limits.POLL_CONFLICT)
        if state.webhook is not None:
            raise ApiError(409, limits.SET_WEBHOOK_CONFLICT)
        return [update.as_json() for update in state.pending[:limit]]

    async def set_webhook(self, params: Params) -> Any:
        state = self.state
        url = params.text("url") or ""
        if not url:
            return await self.delete_webhook(params)
        check_webhook_url(url)
        secret = params.text("secret_token")
        if secret is not None and not _SECRET.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        max_connections = params.number("max_connections", 40) or 40
        if not 1 <= max_connections <= 100:
            raise bad_request("invalid max_connections specified")
        state.set_allowed_updates(params.value("allowed_updates"))
        if params.flag("drop_pending_updates"):
            state.drop_pending()
        state.webhook = Webhook(
            url=url,
            secret_token=secret,
            max_connections=max_connections,
            ip_address=params.text("ip_address") or "127.0.0.1",
        )
        await state.changed()
        return Described(True, "Webhook was set")

    async def delete_webhook(self, params: Params) -> Any:
        state = self.state
        had = state.webhook is not None
        state.webhook = None
        if params.flag("drop_pending_updates"):
            state.drop_pending()
        await state.changed()
        return Described(True, "Webhook was deleted" if had else "Webhook is already deleted")

    async def get_webhook_info(self, params: Params) -> Any:
        state = self.state
        hook = state.webhook
        info: dict[str, Any] = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(state.pending),
        }
        if hook is not None:
            info["max_connections"] = hook.max_connections
            info["ip_address"] = hook.ip_address
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
            if state.allowed_updates != limits.DEFAULT_UPDATE_TYPES:
                info["allowed_updates"] = sorted(state.allowed_updates)
        return info

    # -- messages ------------------------------------------------------------------------------

    def _chat(self, params: Params) -> Chat:
        value = params.value("chat_id")
        if value is None or value == "":
            raise ApiError(400, limits.CHAT_ID_EMPTY)
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ApiError(400, limits.CHAT_NOT_FOUND)
        return self.state.chat(value)

    def _reply_to(self, params: Params, chat: Chat) -> int | None:
        target = params.number("reply_to_message_id")
        allow_missing = params.flag("allow_sending_without_reply")
        reply = params.value("reply_parameters")
        if isinstance(reply, dict) and reply.get("message_id") is not None:
            target = int(reply["message_id"])
            allow_missing = bool(reply.get("allow_sending_without_reply"))
        if target is None:
            return None
        replied = chat.message(target)
        if replied is None or replied.deleted:
            if allow_missing:
                return None
            raise bad_request("message to be replied not found")
        return target

    async def _sent(self, chat: Chat, message: ChatMessage) -> Any:
        await self.state.changed()
        return self.state.message_json(message)

    @staticmethod
    def _formatted(params: Params, field: str) -> FormattedText:
        """The message's "text" or "caption" as Telegram parses it, or its refusal."""
        if field == "text":
            return limits.check_text(
                params.text("text"), params.text("parse_mode"), params.value("entities")
            )
        return limits.check_caption(
            params.text("caption"), params.text("parse_mode"), params.value("caption_entities")
        )

    async def _send(
        self,
        params: Params,
        chat: Chat,
        field: str,
        formatted: FormattedText,
        markup: dict[str, Any] | None,
        *,
        kind: str = "text",
        file: StoredFile | None = None,
    ) -> Any:
        """A new message from the bot; `field` ("text" or "caption") holds it as written."""
        message = self.state.add_message(
            chat,
            from_bot=True,
            sender_id=self.state.bot_id,
            formatted=formatted,
            source=params.text(field) or "",
            parse_mode=params.text("parse_mode"),
            markup=markup,
            kind=kind,
            file=file,
            reply_to=self._reply_to(params, chat),
        )
        return await self._sent(chat, message)

    async def send_message(self, params: Params) -> Any:
        formatted = self._formatted(params, "text")
        markup = limits.check_reply_markup(params.value("reply_markup"))
        chat = self._chat(params)
        limits.check_markup_for_chat(markup, chat.type)
        return await self._send(params, chat, "text", formatted, markup)

    def _bot_message(self, params: Params) -> tuple[Chat, ChatMessage]:
        if params.has("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self._chat(params)
        message_id = params.number("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = chat.message(message_id)
        if message is None or message.deleted:
            raise ApiError(400, limits.EDIT_NOT_FOUND)
        if not message.from_bot:
            raise ApiError(400, limits.CANT_EDIT)
        return chat, message

    async def _edit(self, params: Params, field: str) -> Any:
        """editMessageText ("text": a text message) or editMessageCaption ("caption": a
        photo's or a document's)."""
        formatted = self._formatted(params, field)
        # Without reply_markup an edit removes the inline keyboard, as in Telegram.
        markup = limits.check_reply_markup(params.value("reply_markup"), inline_only=True)
        chat, message = self._bot_message(params)
        limits.check_markup_for_chat(markup, chat.type)
        if field == "text" and message.kind != "text":
            raise ApiError(400, limits.NO_TEXT_TO_EDIT)
        if field == "caption" and message.kind == "text":
            raise ApiError(400, limits.NO_CAPTION_TO_EDIT)
        same_content = formatted.text == message.text and formatted.entities == message.entities
        if same_content and markup == message.inline_markup:
            raise ApiError(400, limits.NOT_MODIFIED)
        message.set_content(formatted, markup, params.text(field) or "")
        message.parse_mode = params.text("parse_mode")
        self.state.record_edit(chat, message)
        return await self._sent(chat, message)

    async def edit_message_text(self, params: Params) -> Any:
        return await self._edit(params, "text")

    async def edit_message_caption(self, params: Params) -> Any:
        return await self._edit(params, "caption")

    async def edit_message_reply_markup(self, params: Params) -> Any:
        markup = limits.check_reply_markup(params.value("reply_markup"), inline_only=True)
        chat, message = self._bot_message(params)
        limits.check_markup_for_chat(markup, chat.type)
        if markup == message.inline_markup:
            raise ApiError(400, limits.NOT_MODIFIED)
        message.set_markup(markup)
        self.state.record_edit(chat, message)
        return await self._sent(chat, message)

    async def delete_message(self, params: Params) -> Any:
        chat = self._chat(params)
        message_id = params.number("message_id")
        message = chat.message(message_id) if message_id is not None else None
        if message is None or message.deleted:
            raise ApiError(400, limits.DELETE_NOT_FOUND)
        if not message.from_bot and chat.type != "private":
            raise bad_request("message can't be deleted")
        message.deleted = True
        chat.record("delete", message_id=message.message_id)
        await self.state.changed()
        return True

    async def answer_callback_query(self, params: Params) -> Any:
        text = params.text("text")
        if text is not None and len(text) > limits.CALLBACK_ANSWER_LIMIT:
            raise ApiError(400, limits.ANSWER_TOO_LONG)
        query_id = params.text("callback_query_id")
        query = self.state.queries.get(query_id or "")
        if query is None or query.answer is not None or self.state.is_expired(query):
            raise ApiError(400, limits.QUERY_TOO_OLD)
        answer = CallbackAnswer(
            query_id=query.query_id,
            chat_id=query.chat_id,
            message_id=query.message_id,
            user_id=query.user_id,
            text=text or None,
            show_alert=params.flag("show_alert"),
            url=params.text("url"),
        )
        query.answer = answer
        chat = self.state.chats[query.chat_id]
        chat.answers.append(answer)
        chat.record("answer", answer=answer.as_json())
        await self.state.changed()
        return True

    async def send_chat_action(self, params: Params) -> Any:
        action = params.text("action")
        if action not in limits.CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        chat = self._chat(params)
        chat.actions.append(action)
        chat.record("action", action=action)
        await self.state.changed()
        return True

    # -- files ---------------------------------------------------------------------------------

    def _input_file(self, params: Params, name: str, kind: str) -> StoredFile:
        upload = params.uploads.get(name)
        value = params.value(name)
        if upload is None and isinstance(value, str) and value.startswith("attach://"):
            upload = params.uploads.get(value.removeprefix("attach://"))
            if upload is None:
                raise bad_request(f"file {value} not found in the request")
        if upload is not None:
            if not upload.data:
                raise bad_request("file must be non-empty")
            return self.state.store_file(
                kind, upload.data, file_name=upload.filename, mime_type=upload.content_type
            )
        if not isinstance(value, str) or not value:
            raise bad_request(f"there is no {name} in the request")
        known = self.state.files.get(value)
        if known is not None:
            return known
        if re.match(r"(?i)^https?://", value):
            # Nothing is fetched: the sandbox never reaches the internet.
            name_part = value.rsplit("/", 1)[-1] or None
            return self.state.store_file(kind, b"", file_name=name_part, url=value)
        raise ApiError(400, limits.WRONG_FILE)

    async def _send_media(self, params: Params, kind: str, field: str) -> Any:
        caption = self._formatted(params, "caption")
        markup = limits.check_reply_markup(params.value("reply_markup"))
        chat = self._chat(params)
        limits.check_markup_for_chat(markup, chat.type)
        stored = self._input_file(params, field, kind)
        return await self._send(params, chat, "caption", caption, markup, kind=kind, file=stored)

    async def send_photo(self, params: Params) -> Any:
        return await self._send_media(params, "photo", "photo")

    async def send_document(self, params: Params) -> Any:
        return await self._send_media(params, "document", "document")

    async def get_file(self, params: Params) -> Any:
        stored = self.state.files.get(params.text("file_id") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.path,
        }

    # -- commands ------------------------------------------------------------------------------

    async def set_my_commands(self, params: Params) -> Any:
        commands = limits.check_commands(params.value("commands"))
        key = limits.scope_key(params.value("scope"), params.text("language_code"))
        if commands:
            self.state.commands[key] = commands
        else:
            self.state.commands.pop(key, None)
        await self.state.changed()
        return True

    async def get_my_commands(self, params: Params) -> Any:
        key = limits.scope_key(params.value("scope"), params.text("language_code"))
        return list(self.state.commands.get(key, []))

    async def delete_my_commands(self, params: Params) -> Any:
        key = limits.scope_key(params.value("scope"), params.text("language_code"))
        self.state.commands.pop(key, None)
        await self.state.changed()
        return True

    # -- descriptions --------------------------------------------------------------------------

    async def set_my_description(self, params: Params) -> Any:
        text = limits.check_bot_description(
            params.text("description"), limits.BOT_DESCRIPTION_LIMIT, "description"
        )
        _keep(
            self.state.descriptions, limits.check_language_code(params.text("language_code")), text
        )
        await self.state.changed()
        return True

    async def get_my_description(self, params: Params) -> Any:
        language = limits.check_language_code(params.text("language_code"))
        return {"description": _described(self.state.descriptions, language)}

    async def set_my_short_description(self, params: Params) -> Any:
        text = limits.check_bot_description(
            params.text("short_description"),
            limits.BOT_SHORT_DESCRIPTION_LIMIT,
            "short description",
        )
        language = limits.check_language_code(params.text("language_code"))
        _keep(self.state.short_descriptions, language, text)
        await self.state.changed()
        return True

    async def get_my_short_description(self, params: Params) -> Any:
        language = limits.check_language_code(params.text("language_code"))
        return {"short_description": _described(self.state.short_descriptions, language)}

    # -- the menu button ----------------------------------------------------------------------

    async def set_chat_menu_button(self, params: Params) -> Any:
        button = limits.check_menu_button(params.value("menu_button"))
        if not params.has("chat_id"):
            # The bot's own default, for chats without one of their own.
            self.state.menu_buttons[None] = (
                {"type": "commands"} if button["type"] == "default" else button
            )
            await self.state.changed()
            return True
        chat = self._chat(params)
        if chat.type != "private":
            raise bad_request("chat_id must be a private chat")
        if button["type"] == "default":
            self.state.menu_buttons.pop(chat.id, None)
        else:
            self.state.menu_buttons[chat.id] = button
        chat.record("menu_button", menu_button=button)
        await self.state.changed()
        return True

    async def get_chat_menu_button(self, params: Params) -> Any:
        buttons = self.state.menu_buttons
        if not params.has("chat_id"):
            return dict(buttons.get(None, {"type": "commands"}))
        chat = self._chat(params)
        return dict(buttons.get(chat.id, {"type": "default"}))


def _keep(texts: dict[str, str], language: str, text: str) -> None:
    if text:
        texts[language] = text
    else:
        texts.pop(language, None)


def _described(texts: dict[str, str], language: str) -> str:
    # Like getMyCommands: a language's own text, not the default one it falls back to.
    return texts.get(language, "")


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def check_webhook_url(url: str) -> None:
    """Webhooks go to this machine only: the sandbox never sends anything elsewhere."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port
    except ValueError:
        raise bad_request("bad webhook: invalid URL") from None
    if parts.scheme not in {"http", "https"} or not host:
        raise bad_request("bad webhook: an HTTP or HTTPS URL must be provided for webhook")
    if host.lower() not in LOOPBACK_HOSTS:
        raise bad_request("bad webhook: the sandbox delivers only to 127.0.0.1, localhost or ::1")
