"""The survey dialog: the Recommendations, the review, the submission."""

from aiogram_dialog import Dialog

from dialogs import questionnaire, review


def build_dialog() -> Dialog:
    return Dialog(*questionnaire.windows(), *review.windows())
