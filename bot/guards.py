"""Outside private chats: the survey is answered one to one with the bot, never in a group."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bot import filters
from dialogs.messages import group_refusal
from dialogs.presses import answer_press


async def refuse_group_message(message: Message) -> None:
    # Stay quiet on chatter in a group; answer only what is addressed to the bot.
    if message.text and message.text.startswith("/"):
        await message.reply(group_refusal())


async def refuse_group_button(callback: CallbackQuery) -> None:
    await answer_press(callback, group_refusal())


async def refuse_channel(post: Message) -> None:
    if post.text and post.text.startswith("/"):
        await post.answer(group_refusal())


def guards_router() -> Router:
    """Outside private chats: a one-line refusal."""
    router = Router(name="guards")
    router.message.filter(filters.outside_private_chat)
    router.callback_query.filter(filters.pressed_outside_private_chat)
    router.message.register(refuse_group_message)
    router.callback_query.register(refuse_group_button)
    router.channel_post.register(refuse_channel)
    return router
