"""Telegram's flood limits, off unless asked for: past them a send is refused with 429.

Telegram documents two limits for sending messages (Bots FAQ, "My bot is hitting limits"):
about one message per second to one chat, and no more than about 30 messages per second in
bulk (any chats). Past them it answers `429 Too Many Requests: retry after N` with
`parameters.retry_after` N, an integer number of seconds.

How the stand-in reads them (Telegram does not publish its algorithm):

- A sliding window: a send is accepted if fewer than `per_bot` sends were accepted in the
  `window` seconds before it (`(now - window, now]`), and fewer than `per_chat` to its chat.
  A sliding window is the strictest reading of "N a second": a fixed window (second 0, second
  1, ...) would let 2N through in one second around its edge, and a token bucket lets a burst
  through after a pause. A sender that passes here passes any looser reading too.
- `retry_after` is the time until the window has room again, rounded up to whole seconds and
  at least 1, as Telegram never answers 0.
- Only sends that are accepted count; a refused one does not (else a client that retries on
  time could be refused for ever).
- Only methods that send a new message count (`SENDING_METHODS`). Edits, deletions, answers to
  button presses and chat actions do not create messages; the FAQ's numbers are about
  messages, and Telegram's limits on edits are undocumented, so the stand-in does not invent
  one. Group chats' "20 messages a minute" is not modelled: the survey bot talks in private
  chats only.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from standin.limits import ApiError

# Bot API methods that post a new message to a chat (the ones the stand-in implements and the
# rest, so that a later addition to the stand-in is counted without touching this list).
SENDING_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendAudio",
        "sendVideo",
        "sendAnimation",
        "sendVoice",
        "sendVideoNote",
        "sendPaidMedia",
        "sendMediaGroup",
        "sendLocation",
        "sendVenue",
        "sendContact",
        "sendPoll",
        "sendDice",
        "sendSticker",
        "sendInvoice",
        "sendGame",
        "copyMessage",
        "copyMessages",
        "forwardMessage",
        "forwardMessages",
    }
)
_SENDING = frozenset(name.lower() for name in SENDING_METHODS)

TELEGRAM_PER_BOT = 30
TELEGRAM_PER_CHAT = 1


@dataclass(frozen=True)
class RateLimits:
    """At most `per_bot` messages (any chats) and `per_chat` to one chat in any `window`
    seconds. The defaults are Telegram's documented ones."""

    per_bot: int = TELEGRAM_PER_BOT
    per_chat: int = TELEGRAM_PER_CHAT
    window: float = 1.0

    def __post_init__(self) -> None:
        if self.per_bot < 1 or self.per_chat < 1 or self.window <= 0:
            raise ValueError("rate limits need per_bot >= 1, per_chat >= 1 and window > 0")

    def as_json(self) -> dict[str, Any]:
        return {"per_bot": self.per_bot, "per_chat": self.per_chat, "window": self.window}


@dataclass(frozen=True)
class Send:
    """One message-sending call the limits let through: when (the stand-in's clock), what."""

    at: float
    method: str
    chat_id: int | None

    def as_json(self) -> dict[str, Any]:
        return {"at": self.at, "method": self.method, "chat_id": self.chat_id}


@dataclass(frozen=True)
class Refusal:
    """One send refused with 429: which limit ("bot" or "chat") and the retry_after given."""

    at: float
    method: str
    chat_id: int | None
    limit: str
    retry_after: int

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "method": self.method,
            "chat_id": self.chat_id,
            "limit": self.limit,
            "retry_after": self.retry_after,
        }


def counts_as_message(method: str) -> bool:
    return method.lower() in _SENDING


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The most of `times` that fall in any one half-open window `(t - window, t]`: the
    busiest second as the limits judge it."""
    ordered = sorted(times)
    best = 0
    start = 0
    for end, at in enumerate(ordered):
        while ordered[start] <= at - window:
            start += 1
        best = max(best, end - start + 1)
    return best


class RateLimiter:
    """Applies `limits` (None: off) and remembers what it let through and what it refused
    while on, for tests and benchmarks to count."""

    def __init__(self, clock: Callable[[], float], limits: RateLimits | None = None) -> None:
        self._clock = clock
        self._limits = limits
        self.sent: list[Send] = []
        self.refused: list[Refusal] = []
        self._recent: deque[float] = deque()  # accepted sends within the window, any chat
        self._recent_to: dict[int, deque[float]] = {}  # the same per chat

    @property
    def limits(self) -> RateLimits | None:
        return self._limits

    def configure(self, limits: RateLimits | None) -> None:
        """Switch the limits on (or change them) or off; starts a fresh record either way."""
        self._limits = limits
        self.sent.clear()
        self.refused.clear()
        self._recent.clear()
        self._recent_to.clear()

    def admit(self, method: str, chat_id: int | None) -> None:
        """Count this call if it sends a message, or raise Telegram's 429 for it."""
        limits = self._limits
        if limits is None or not counts_as_message(method):
            return
        now = self._clock()
        horizon = now - limits.window
        _expire(self._recent, horizon)
        per_chat: deque[float] | None = None
        if chat_id is not None:
            per_chat = self._recent_to.get(chat_id)
            if per_chat is not None:
                _expire(per_chat, horizon)
        # The chat's limit first: it is the one a retry to another chat would not hit.
        for limit, window, allowed in (
            ("chat", per_chat, limits.per_chat),
            ("bot", self._recent, limits.per_bot),
        ):
            if window is not None and len(window) >= allowed:
                # Room again once enough of the oldest sends have left the window.
                free_at = window[len(window) - allowed] + limits.window
                retry_after = max(1, math.ceil(free_at - now))
                self.refused.append(Refusal(now, method, chat_id, limit, retry_after))
                raise ApiError(
                    429,
                    f"Too Many Requests: retry after {retry_after}",
                    {"retry_after": retry_after},
                )
        self._recent.append(now)
        if chat_id is not None:
            if per_chat is None:
                per_chat = self._recent_to[chat_id] = deque()
            per_chat.append(now)
            if len(self._recent_to) > 4 * limits.per_bot:  # forget chats that went quiet
                self._recent_to = {
                    chat: times
                    for chat, times in self._recent_to.items()
                    if times and times[-1] > horizon
                }
        self.sent.append(Send(now, method, chat_id))

    def as_json(self) -> dict[str, Any]:
        return {
            "limits": self._limits.as_json() if self._limits is not None else None,
            "sent": [send.as_json() for send in self.sent],
            "refused": [refusal.as_json() for refusal in self.refused],
        }


def _expire(times: deque[float], horizon: float) -> None:
    while times and times[0] <= horizon:
        times.popleft()
