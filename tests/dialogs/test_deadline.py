"""The closing time representatives see (/help, the welcome) is the one stored now: an extension
by the Secretariat shows at once and reopens answering, without a restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from babel.dates import format_date

from survey.model import Actor
from survey.service import SurveyService
from tests.support import Clock

from .harness import App, Person, verified


def shown(moment: datetime) -> str:
    """The date as the windows write it (dialogs.messages.when), day part only."""
    return format_date(moment.astimezone(UTC), "long", locale="en")


async def test_help_and_the_welcome_show_the_current_closing_date(
    app: App, service: SurveyService, clock: Clock
) -> None:
    configured = service.setup.deadline
    assert configured is not None
    code = (await service.secretariat.create_invitation("EP", Actor.cli())).code
    person = Person(app, 1, "en")
    await person.send(f"/start {code}")
    assert f"The survey closes on {shown(configured)}" in person.text()  # the welcome

    await person.send("/help")
    assert f"The survey closes on {shown(configured)}" in person.text()

    later = configured + timedelta(days=40)
    await service.secretariat.set_deadline(later, Actor.cli())
    await person.send("/help")
    assert f"The survey closes on {shown(later)}" in person.text()


async def test_an_extension_reopens_answering_in_the_chat(
    app: App, service: SurveyService, clock: Clock
) -> None:
    configured = service.setup.deadline
    assert configured is not None
    person = await verified(app, service)
    clock.now = configured
    await person.click("High")
    assert "closed" in app.bot.alerts()[-1]
    await person.send("/help")
    assert f"The survey closed on {shown(configured)}" in person.text()

    await service.secretariat.set_deadline(clock.now + timedelta(days=3), Actor.cli())
    await person.send("/continue")
    await person.click("High")
    assert (await service.answering.progress(1)).answered == 1
