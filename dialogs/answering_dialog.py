"""The answering dialog: one window per Recommendation, the comment input, the review, the
confirmation, the receipt and the pause screen (`dialogs/recommendation.py` and
`dialogs/review.py` hold the windows)."""

from aiogram_dialog import Dialog

from dialogs import recommendation, review


def build_dialog() -> Dialog:
    return Dialog(*recommendation.windows(), *review.windows())
