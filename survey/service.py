"""The survey's use cases, grouped by who acts: a person enrolling (`enrolment`), a
representative answering for their Office (`answering`), the Secretariat (`secretariat`).

Every call opens its own unit of work and commits before returning, so that whatever the
caller acknowledges to a person is already stored. Reads never write.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime

from survey.answering import Answering
from survey.broadcasts import Broadcasts
from survey.enrolment import Enrolment
from survey.jobs import Jobs
from survey.ports import StoreFactory
from survey.privacy import Privacy
from survey.questionnaire import Questionnaire
from survey.questionnaire_versions import QuestionnaireVersions
from survey.secretariat import Secretariat
from survey.setup import QuestionnaireInForce, SurveySetup, utcnow


class SurveyService:
    """The three use cases, and the broadcasts that tell people of them, over one store,
    questionnaire, deadline and clock."""

    def __init__(
        self,
        stores: StoreFactory,
        questionnaire: Questionnaire,
        *,
        deadline: datetime | None = None,
        admin_ids: Collection[int] = (),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.setup = SurveySetup(
            stores, QuestionnaireInForce(questionnaire), deadline, frozenset(admin_ids), clock
        )
        self.enrolment = Enrolment(self.setup)
        self.answering = Answering(self.setup)
        self.secretariat = Secretariat(self.setup)
        self.broadcasts = Broadcasts(self.setup)
        self.jobs = Jobs(self.setup)
        self.questionnaires = QuestionnaireVersions(self.setup)
        self.privacy = Privacy(self.setup)

    @property
    def questionnaire(self) -> Questionnaire:
        return self.setup.questionnaire

    def now(self) -> datetime:
        return self.setup.now()
