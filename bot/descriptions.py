"""What a person sees of the bot before pressing Start: the description ("What can this bot
do?") and the short description (the profile page, a shared link), in each language."""

from __future__ import annotations

from aiogram import Bot
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from survey.questionnaire import DEFAULT_LANGUAGE, LANGUAGES

# Telegram's limits, in characters.
DESCRIPTION_LIMIT = 512
SHORT_DESCRIPTION_LIMIT = 120


def bot_description() -> str:
    """In the current language. No count of Recommendations: the text is set at start-up and
    must stay true when the Secretariat puts another questionnaire in force."""
    return _(
        "The survey of the Committee on WIPO Standards (CWS) on the priority of the "
        "Recommendations for ICT Strategies, for the Intellectual Property Offices invited by "
        "the Secretariat.\n\n"
        "Open the link of your invitation, or press Start and send your invitation code. "
        "Your answers are saved as you go: stop at any time and resume with /continue. "
        "Nothing is final until you submit."
    )


def bot_short_description() -> str:
    return _("The CWS survey on the priority of the Recommendations for ICT Strategies.")


async def set_descriptions(bot: Bot, i18n: I18n) -> None:
    """Each language's own texts, and the English ones for clients in other languages. A text
    already in place is not sent again: Telegram allows few of these calls, and every replica
    and restart comes here."""
    for lang in LANGUAGES:
        with i18n.context(), i18n.use_locale(lang):
            description, short = bot_description(), bot_short_description()
        for code in (lang, None) if lang == DEFAULT_LANGUAGE else (lang,):
            current = await bot.get_my_description(language_code=code)
            if current.description != description:
                await bot.set_my_description(description, language_code=code)
            current_short = await bot.get_my_short_description(language_code=code)
            if current_short.short_description != short:
                await bot.set_my_short_description(short, language_code=code)
