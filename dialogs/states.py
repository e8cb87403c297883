"""Every dialog state of the bot, in one place."""

from aiogram.fsm.state import State, StatesGroup


class Onboarding(StatesGroup):
    code = State()
    welcome = State()


class Survey(StatesGroup):
    question = State()
    comment = State()
    review = State()
    confirm = State()
    receipt = State()
    paused = State()
    upload = State()  # a workbook sent back: its changes, to confirm


class Language(StatesGroup):
    pick = State()


class Help(StatesGroup):
    show = State()


class ForgetMe(StatesGroup):
    confirm = State()


class Results(StatesGroup):
    digest = State()


class Offices(StatesGroup):
    list = State()
    detail = State()
    revoke = State()
    remove = State()


class Reopen(StatesGroup):
    confirm = State()
    done = State()


class Purge(StatesGroup):
    confirm = State()
    done = State()


class Deadline(StatesGroup):
    show = State()
    confirm = State()


class Questionnaires(StatesGroup):
    show = State()  # the version in force, the template, how to send a new one
    preview = State()  # a new one sent: what it changes
    confirm = State()


class Remind(StatesGroup):
    confirm = State()
    sending = State()


class Notice(StatesGroup):
    notice = State()  # before the first answer: "I understand, continue"
    show = State()  # /privacy
