"""The survey dialog: the Recommendations, the review, the submission."""

from aiogram_dialog import Dialog

from dialogs import questionnaire, review

dialog = Dialog(*questionnaire.windows, *review.windows)
