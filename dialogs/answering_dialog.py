"""The answering dialog: one window per Recommendation, the comment input, the review, the
confirmation, the receipt, the pause screen and a workbook's changes to confirm
(`dialogs/recommendation.py`, `dialogs/review.py` and `dialogs/paperwork.py` hold the windows)."""

from aiogram_dialog import Dialog

from dialogs import paperwork, recommendation, review


def build_dialog() -> Dialog:
    return Dialog(*recommendation.windows(), *review.windows(), *paperwork.windows())
