"""Checking the files people upload, never in the bot's own process (bot/bounded_pool.py).

``UploadChecker.check_office_workbook`` is the Office's workbook sent back: the cheap limits of
reports/xlsx_limits.py, then openpyxl, all in a worker capped in CPU seconds, memory and wall
time (UPLOAD_CHECK_* settings). A file that goes past a cap is refused like any other problem
(``ProblemKind.TOO_COMPLEX``, in the person's language), and nothing is changed.

Any later upload path (the Secretariat's questionnaire workbook, for one) runs its own parse
function through the same workers with ``await checker.run(parse, data, ...)``: a module-level
function whose arguments and result pickle, and which raises nothing it could have returned.
It gets ``JobAbortedError`` (with the reason) when a cap stopped it; ``abort_reason`` words it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from bot.bounded_pool import Abort, BoundedPool, JobAbortedError, PoolLimits
from bot.config import Settings
from reports.i18n import translations

if TYPE_CHECKING:
    from reports.workbook_upload import Upload, UploadProblems
    from survey.model import Office
    from survey.questionnaire import Questionnaire

__all__ = ["UploadChecker", "abort_reason", "pool_limits"]

# Imported by each worker before its first job, so that no job pays for openpyxl's import.
_PRELOAD = ("reports.workbook_upload", "openpyxl.reader.excel")

Result = TypeVar("Result")


def pool_limits(settings: Settings) -> PoolLimits:
    return PoolLimits(
        workers=settings.upload_check_workers,
        cpu_seconds=settings.upload_check_cpu_seconds,
        memory_bytes=settings.upload_check_memory_mb * 1024 * 1024,
        wall_seconds=settings.upload_check_seconds,
    )


def abort_reason(reason: Abort, lang: str) -> str:
    """Why a check was stopped, in ``lang``, to be put in a sentence."""
    _ = translations(lang).gettext
    if reason is Abort.TOO_LONG:
        return _("checking it took too long")
    if reason is Abort.TOO_MUCH_MEMORY:
        return _("checking it needed too much memory")
    return _("its check stopped unexpectedly")


class UploadChecker:
    def __init__(self, limits: PoolLimits, *, preload: tuple[str, ...] = _PRELOAD) -> None:
        self.pool = BoundedPool(limits, preload=preload)

    @classmethod
    def from_settings(cls, settings: Settings) -> UploadChecker:
        return cls(pool_limits(settings))

    def start(self) -> None:
        """Start the workers now rather than at the first upload (at the bot's start-up)."""
        self.pool.start()

    async def close(self) -> None:
        self.pool.close()

    async def run(self, function: Callable[..., Result], *args: Any, **kwargs: Any) -> Result:
        """``function(*args, **kwargs)`` in a bounded worker; ``JobAbortedError`` past a cap."""
        return await self.pool.run(function, *args, **kwargs)

    async def check(
        self, function: Callable[..., Result], *args: Any, lang: str, **kwargs: Any
    ) -> Result | UploadProblems:
        """``function(*args, **kwargs)`` in a bounded worker; past a cap, the file is refused
        (``ProblemKind.TOO_COMPLEX``, in ``lang``, saying why)."""
        from reports.workbook_upload import UploadProblems, too_complex

        try:
            return await self.run(function, *args, **kwargs)
        except JobAbortedError as aborted:
            return UploadProblems((too_complex(abort_reason(aborted.reason, lang), lang),), lang)

    async def check_office_workbook(
        self,
        data: bytes,
        questionnaire: Questionnaire,
        lang: str,
        *,
        office: Office | None,
        key: bytes,
    ) -> Upload | UploadProblems:
        """reports.workbook_upload.read_office_workbook, in a worker."""
        from reports.i18n import report_language
        from reports.workbook_upload import read_office_workbook

        lang = report_language(lang)
        return await self.check(
            read_office_workbook, data, questionnaire, lang, lang=lang, office=office, key=key
        )
