"""What Telegram refuses, with its own error descriptions, and its HTML entity parser.

The parser follows the rules of the Bot API's HTML mode (the one TDLib implements): the tags
below, the four named entities plus numeric ones, and the same error descriptions for unknown
or unbalanced tags. Lengths are counted in UTF-16 code units, the unit Telegram's entity
offsets use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
CALLBACK_ANSWER_LIMIT = 200
COMMAND_LIMIT = 100
COMMAND_DESCRIPTION_LIMIT = 256
BOT_DESCRIPTION_LIMIT = 512  # "What can this bot do?", before Start
BOT_SHORT_DESCRIPTION_LIMIT = 120  # the profile page and shared links

MESSAGE_TOO_LONG = "Bad Request: message is too long"
TEXT_EMPTY = "Bad Request: message text is empty"
CAPTION_TOO_LONG = "Bad Request: message caption is too long"
BUTTON_DATA_INVALID = "Bad Request: BUTTON_DATA_INVALID"
BUTTON_URL_INVALID = "Bad Request: BUTTON_URL_INVALID"
BUTTON_TYPE_INVALID = "Bad Request: BUTTON_TYPE_INVALID"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
EDIT_NOT_FOUND = "Bad Request: message to edit not found"
DELETE_NOT_FOUND = "Bad Request: message to delete not found"
CANT_EDIT = "Bad Request: message can't be edited"
NO_TEXT_TO_EDIT = "Bad Request: there is no text in the message to edit"
NO_CAPTION_TO_EDIT = "Bad Request: there is no caption in the message to edit"
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
ANSWER_TOO_LONG = "Bad Request: MESSAGE_TOO_LONG"
CHAT_NOT_FOUND = "Bad Request: chat not found"
CHAT_ID_EMPTY = "Bad Request: chat_id is empty"
WRONG_FILE = "Bad Request: wrong file identifier/HTTP URL specified"
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
SET_WEBHOOK_CONFLICT = "Conflict: terminated by setWebhook request"
UNAUTHORIZED = "Unauthorized"
NOT_FOUND = "Not Found"

STATUS_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    413: "Request Entity Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

# Update types Telegram sends when allowed_updates is empty or was never set.
DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)

_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


class ApiError(Exception):
    """A refusal, sent to the client as `{"ok": false, "error_code": ..., ...}`."""

    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class FormattedText:
    """Text as the user sees it, with its entities (offsets in UTF-16 code units)."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


# -- HTML ------------------------------------------------------------------------------------

_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_NAME_CHARS = re.compile(r"[A-Za-z0-9_-]*")
_SPACES = " \t\r\n"


class _EntityParseError(Exception):
    pass


@dataclass
class _Open:
    tag: str
    start: int
    attributes: dict[str, str]
    language: str | None = None


def _decode_entity(source: str, i: int) -> tuple[str, int] | None:
    """The character of the HTML entity at source[i] == '&', and the index after it."""
    end = source.find(";", i + 1, i + 12)
    if end < 0:
        return None
    body = source[i + 1 : end]
    if body in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[body], end + 1
    code: int | None = None
    if body.startswith(("#x", "#X")) and re.fullmatch(r"[0-9A-Fa-f]{1,6}", body[2:]):
        code = int(body[2:], 16)
    elif body.startswith("#") and re.fullmatch(r"[0-9]{1,7}", body[1:]):
        code = int(body[1:])
    if code is None or code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), end + 1


def _unescape(value: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(value):
        if value[i] == "&" and (decoded := _decode_entity(value, i)) is not None:
            out.append(decoded[0])
            i = decoded[1]
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def parse_html(source: str) -> FormattedText:
    """Parse Telegram's HTML; raises ApiError "can't parse entities: ..." like Telegram."""
    try:
        return _parse_html(source)
    except _EntityParseError as exc:
        raise bad_request(f"can't parse entities: {exc}") from None


def _parse_html(source: str) -> FormattedText:
    out: list[str] = []
    position = 0  # in UTF-16 code units
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    n = len(source)
    i = 0

    def offset(index: int) -> int:
        return len(source[:index].encode())

    def emit(chunk: str) -> None:
        nonlocal position
        out.append(chunk)
        position += utf16_len(chunk)

    while i < n:
        char = source[i]
        if char == "&":
            decoded = _decode_entity(source, i)
            if decoded is None:
                emit("&")
                i += 1
            else:
                emit(decoded[0])
                i = decoded[1]
            continue
        if char != "<":
            j = i
            while j < n and source[j] not in "&<":
                j += 1
            emit(source[i:j])
            i = j
            continue
        begin = i
        i += 1
        if i < n and source[i] == "/":
            # An end tag.
            i += 1
            match = _NAME_CHARS.match(source, i)
            assert match is not None
            name = match.group().lower()
            i = match.end()
            while i < n and source[i] in _SPACES:
                i += 1
            if i >= n or source[i] != ">":
                raise _EntityParseError(f"Unclosed end tag at byte offset {offset(begin)}")
            i += 1
            if not stack:
                raise _EntityParseError(f"Unexpected end tag at byte offset {offset(begin)}")
            top = stack[-1]
            if name != top.tag:
                raise _EntityParseError(
                    f"Unmatched end tag at byte offset {offset(begin)}, "
                    f'expected "</{top.tag}>", found "</{name}>"'
                )
            stack.pop()
            entity = _close(top, position, stack)
            if entity is not None:
                entities.append(entity)
            continue
        # A start tag.
        match = _NAME_CHARS.match(source, i)
        assert match is not None
        name = match.group().lower()
        i = match.end()
        if name not in _ENTITY_TYPES:
            raise _EntityParseError(
                f'Unsupported start tag "{name}" at byte offset {offset(begin)}'
            )
        attributes: dict[str, str] = {}
        while True:
            while i < n and source[i] in _SPACES:
                i += 1
            if i >= n:
                raise _EntityParseError(f"Unclosed start tag at byte offset {offset(begin)}")
            if source[i] == ">":
                i += 1
                break
            match = _NAME_CHARS.match(source, i)
            assert match is not None
            attribute = match.group().lower()
            i = match.end()
            if not attribute:
                raise _EntityParseError(
                    f'Empty attribute name in the tag "{name}" at byte offset {offset(begin)}'
                )
            while i < n and source[i] in _SPACES:
                i += 1
            if i >= n or source[i] != "=":
                if name == "blockquote" and attribute == "expandable":
                    attributes[attribute] = ""
                    continue
                raise _EntityParseError(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{name}" at byte offset {offset(begin)}'
                )
            i += 1
            while i < n and source[i] in _SPACES:
                i += 1
            if i >= n:
                raise _EntityParseError(f"Unclosed start tag at byte offset {offset(begin)}")
            if source[i] in "'\"":
                end = source.find(source[i], i + 1)
                if end < 0:
                    raise _EntityParseError(f"Unclosed start tag at byte offset {offset(begin)}")
                value = source[i + 1 : end]
                i = end + 1
            else:
                j = i
                while j < n and source[j] not in _SPACES and source[j] != ">":
                    j += 1
                value = source[i:j]
                i = j
            attributes[attribute] = _unescape(value)
        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise _EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {offset(begin)}'
            )
        stack.append(_Open(name, position, attributes))
    if stack:
        raise _EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return FormattedText("".join(out), entities)


def _close(opened: _Open, position: int, stack: list[_Open]) -> dict[str, Any] | None:
    length = position - opened.start
    kind = _ENTITY_TYPES[opened.tag]
    if opened.tag == "code":
        language = opened.attributes.get("class", "")
        parent = stack[-1] if stack else None
        if parent is not None and parent.tag == "pre" and language.startswith("language-"):
            parent.language = language.removeprefix("language-")
            return None
    if length <= 0:
        return None
    entity: dict[str, Any] = {"type": kind, "offset": opened.start, "length": length}
    if opened.tag == "a":
        href = opened.attributes.get("href")
        if not href:
            return None
        entity["url"] = href
    elif opened.tag == "pre" and opened.language:
        entity["language"] = opened.language
    elif opened.tag == "blockquote" and "expandable" in opened.attributes:
        entity["type"] = "expandable_blockquote"
    elif opened.tag == "tg-emoji":
        emoji_id = opened.attributes.get("emoji-id")
        if not emoji_id:
            return None
        entity["custom_emoji_id"] = emoji_id
    return entity


def format_text(text: str, parse_mode: str | None, entities: Any = None) -> FormattedText:
    """The text the user sees: HTML parsed (other modes taken literally), then trimmed."""
    mode = (parse_mode or "").strip().lower()
    if mode == "html":
        formatted = parse_html(text)
    elif mode in {"", "markdown", "markdownv2"}:
        # Markdown is not parsed: the sandbox keeps such text as written.
        given = (
            [dict(e) for e in entities if isinstance(e, dict)] if isinstance(entities, list) else []
        )
        formatted = FormattedText(text, given)
    else:
        raise bad_request("unsupported parse_mode")
    return _trim(formatted)


def _trim(formatted: FormattedText) -> FormattedText:
    stripped = formatted.text.strip()
    if stripped == formatted.text:
        return formatted
    shift = utf16_len(formatted.text) - utf16_len(formatted.text.lstrip())
    size = utf16_len(stripped)
    entities = []
    for entity in formatted.entities:
        start = max(int(entity.get("offset", 0)) - shift, 0)
        end = min(int(entity.get("offset", 0)) + int(entity.get("length", 0)) - shift, size)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return FormattedText(stripped, entities)


def check_text(text: str | None, parse_mode: str | None, entities: Any = None) -> FormattedText:
    """The message text, or Telegram's refusal: unparsable, empty or over 4096."""
    if text is None or text == "":
        raise ApiError(400, TEXT_EMPTY)
    formatted = format_text(text, parse_mode, entities)
    if not formatted.text:
        raise ApiError(400, TEXT_EMPTY)
    if utf16_len(formatted.text) > TEXT_LIMIT:
        raise ApiError(400, MESSAGE_TOO_LONG)
    return formatted


def check_caption(
    caption: str | None, parse_mode: str | None, entities: Any = None
) -> FormattedText:
    if not caption:
        return FormattedText("")
    formatted = format_text(caption, parse_mode, entities)
    if utf16_len(formatted.text) > CAPTION_LIMIT:
        raise ApiError(400, CAPTION_TOO_LONG)
    return formatted


# -- reply markup ----------------------------------------------------------------------------


def _button_error(reason: str) -> ApiError:
    return bad_request(f"can't parse inline keyboard button: {reason}")


def check_inline_button(button: Any) -> dict[str, Any]:
    if not isinstance(button, dict):
        raise _button_error("InlineKeyboardButton must be an Object")
    text = button.get("text")
    if not isinstance(text, str):
        raise _button_error('Field "text" must be of type String')
    clean: dict[str, Any] = {"text": text}
    actions = [key for key in _BUTTON_ACTIONS if button.get(key) is not None]
    if not actions:
        raise _button_error("Text buttons are unallowed in the inline keyboard")
    for key in actions:
        clean[key] = button[key]
    if "callback_data" in clean:
        data = clean["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT:
            raise ApiError(400, BUTTON_DATA_INVALID)
    if "url" in clean:
        url = clean["url"]
        if not isinstance(url, str) or not re.match(r"(?i)^(https?|tg)://\S+$", url):
            raise ApiError(400, BUTTON_URL_INVALID)
    if "web_app" in clean:
        clean["web_app"] = check_web_app(clean["web_app"], "inline keyboard button")
    return clean


_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def check_web_app(web_app: Any, where: str) -> dict[str, str]:
    """A WebAppInfo: https, as Telegram requires, or plain http to this machine (the sandbox
    serves the page on the loopback, and nothing of it leaves the machine)."""
    url = web_app.get("url") if isinstance(web_app, dict) else None
    if not isinstance(url, str) or not url:
        raise bad_request(f"{where} Web App URL is empty")
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        host, parts = "", None
    if parts is None or not host or not re.fullmatch(r"\S+", url):
        raise bad_request(f"{where} Web App URL '{url}' is invalid: Wrong HTTP URL")
    if parts.scheme != "https" and not (parts.scheme == "http" and host in _LOOPBACK):
        raise bad_request(f"{where} Web App URL '{url}' is invalid: Only HTTPS links are allowed")
    return {"url": url}


def check_markup_for_chat(markup: dict[str, Any] | None, chat_type: str) -> None:
    """Web App buttons open only from a private chat: Telegram refuses them elsewhere."""
    if markup is None or chat_type == "private":
        return
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if "web_app" in button:
                raise ApiError(400, BUTTON_TYPE_INVALID)


def check_menu_button(button: Any) -> dict[str, Any]:
    """A MenuButton: "commands", "default", or "web_app" with its text and page."""
    if button is None:
        return {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in {"commands", "default", "web_app"}:
        raise bad_request("can't parse menu button JSON object")
    if button["type"] != "web_app":
        return {"type": button["type"]}
    text = button.get("text")
    if not isinstance(text, str) or not text.strip():
        raise bad_request("menu button text is empty")
    return {
        "type": "web_app",
        "text": text,
        "web_app": check_web_app(button.get("web_app"), "menu button"),
    }


def check_reply_markup(markup: Any, *, inline_only: bool = False) -> dict[str, Any] | None:
    """The markup as Telegram keeps it; refuses bad buttons and over-long callback data."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list):
            raise bad_request(
                'Field "inline_keyboard" of the InlineKeyboardMarkup must be an Array'
            )
        clean_rows = []
        for row in rows:
            if not isinstance(row, list):
                raise bad_request("can't parse inline keyboard button: row must be an Array")
            clean_rows.append([check_inline_button(button) for button in row])
        return {"inline_keyboard": clean_rows}
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request('Field "keyboard" of the ReplyKeyboardMarkup must be an Array')
        for row in rows:
            for button in row:
                text = button.get("text") if isinstance(button, dict) else button
                if not isinstance(text, str) or not text:
                    raise bad_request("keyboard button text must be non-empty")
        return dict(markup)
    if markup.get("remove_keyboard") or markup.get("force_reply"):
        return dict(markup)
    raise bad_request("can't parse reply keyboard markup JSON object")


def check_commands(commands: Any) -> list[dict[str, str]]:
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > COMMAND_LIMIT:
        raise bad_request("too many commands")
    clean = []
    for command in commands:
        if not isinstance(command, dict):
            raise bad_request("can't parse BotCommand")
        name = command.get("command")
        description = command.get("description")
        if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9_]{1,32}", name.lower()):
            raise bad_request("BOT_COMMAND_INVALID")
        if (
            not isinstance(description, str)
            or not description.strip()
            or len(description) > COMMAND_DESCRIPTION_LIMIT
        ):
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        clean.append({"command": name.lower(), "description": description})
    return clean


_SCOPE_TYPES = {
    "default": (),
    "all_private_chats": (),
    "all_group_chats": (),
    "all_chat_administrators": (),
    "chat": ("chat_id",),
    "chat_administrators": ("chat_id",),
    "chat_member": ("chat_id", "user_id"),
}


def check_language_code(language_code: str | None) -> str:
    language = language_code or ""
    if language and not re.fullmatch(r"[a-z]{2}", language):
        raise bad_request("invalid language code specified")
    return language


def check_bot_description(text: str | None, limit: int, name: str) -> str:
    """A description is plain text (no entities); empty removes the language's own one."""
    text = text or ""
    if len(text) > limit:
        raise bad_request(f"{name} is too long")
    return text


def scope_key(scope: Any, language_code: str | None) -> tuple[str, str]:
    """The key a command list is kept under: the scope (canonical) and the language."""
    if scope is None:
        scope = {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in _SCOPE_TYPES:
        raise bad_request("can't parse BotCommandScope")
    fields = _SCOPE_TYPES[str(scope["type"])]
    for name in fields:
        if scope.get(name) is None:
            raise bad_request(f"{name} is empty")
    parts = [str(scope["type"]), *(str(scope[name]) for name in fields)]
    return ":".join(parts), check_language_code(language_code)
