"""The representative's page and the Secretariat's dashboard in headless Chromium, served by
the real bot process: what a person sees and does there, and what axe-core finds."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from standin.web_app import DARK_THEME
from survey.model import Actor
from survey.offices import shipped_offices
from tests.e2e.conftest import STEP_TIMEOUT, Delegate
from tests.e2e.conftest import answer as answer_in_chat
from tests.e2e.conftest import verify as verify_in_chat
from tests.support import verify

from .conftest import AXE, DESKTOP, PHONE, SECRETARY, World

OFFICES = [office.code for office in shipped_offices()]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


def wait(driver: WebDriver, condition: Any) -> Any:
    # The pages redraw a section after a change: an element looked at may be replaced.
    return WebDriverWait(
        driver, STEP_TIMEOUT, ignored_exceptions=[StaleElementReferenceException]
    ).until(condition)


def open_page(driver: WebDriver, url: str, ready: str = "main h1") -> None:
    # A new document each time: only the fragment would differ, which does not reload.
    driver.get("about:blank")
    driver.get(url)
    wait(driver, expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ready)))


def text_of(driver: WebDriver, selector: str) -> str:
    return str(driver.find_element(By.CSS_SELECTOR, selector).text)


def wait_for_text(driver: WebDriver, selector: str, words: str) -> None:
    wait(
        driver,
        expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, selector), words),
    )


def level(driver: WebDriver, number: int, code: str) -> WebElement:
    return driver.find_element(By.ID, f"rec-{number}-{code}")


def choose(driver: WebDriver, number: int, code: str) -> None:
    driver.find_element(By.CSS_SELECTOR, f"label[for='rec-{number}-{code}']").click()
    wait_for_text(driver, f"#rec-{number}-state", "Saved")


def person(world: World, user_id: int, office: str) -> None:
    world.loop.run(verify(world.service, user_id, office=office, name=f"Person{user_id}"))


def stored_level(world: World, user_id: int, number: int) -> str | None:
    stored = world.loop.run(world.service.answering.office_answers(user_id))
    answer = stored.answers.get(number)
    return answer.level if answer is not None else None


def axe_violations(driver: WebDriver) -> list[dict[str, Any]]:
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
        ".then(function (r) { done(r.violations); }, function (e) { done([{id: String(e)}]); });",
        AXE_TAGS,
    )
    return list(result)


def summary(violations: list[dict[str, Any]]) -> str:
    return json.dumps(
        [
            {
                "id": v["id"],
                "nodes": [n.get("html", "")[:120] for n in v.get("nodes", [])][:3],
                "why": [n.get("failureSummary", "")[:200] for n in v.get("nodes", [])][:1],
            }
            for v in violations
        ],
        indent=1,
    )


def test_three_answers_and_a_comment_are_there_after_a_reload(
    world: World, driver: WebDriver
) -> None:
    person(world, 801, OFFICES[0])
    url = world.open_as(801)
    open_page(driver, url, "#rec-1")
    assert "0 of 40" in text_of(driver, "#progress-text")
    choose(driver, 1, "high")
    choose(driver, 2, "medium")
    choose(driver, 3, "low")
    assert "3 of 40" in text_of(driver, "#progress-text")
    comment = driver.find_element(By.ID, "rec-2-comment")
    comment.send_keys("Needs a budget line")
    assert text_of(driver, "#rec-2-count").replace(",", "") == "Characters: 19/1000"
    driver.find_element(By.CSS_SELECTOR, "#rec-2 button.save").click()
    wait_for_text(driver, "#rec-2-state", "Saved")
    announced = driver.find_element(By.ID, "status")  # the live region screen readers read out
    wait(driver, lambda d: "2: saved" in (announced.get_attribute("textContent") or ""))

    open_page(driver, url, "#rec-1")
    assert level(driver, 1, "high").is_selected()
    assert level(driver, 2, "medium").is_selected()
    assert level(driver, 3, "low").is_selected()
    assert not level(driver, 4, "high").is_selected()
    assert (
        driver.find_element(By.ID, "rec-2-comment").get_attribute("value") == "Needs a budget line"
    )
    assert "3 of 40" in text_of(driver, "#progress-text")
    assert stored_level(world, 801, 3) == "low"

    # "Unanswered only" hides the three answered ones.
    driver.find_element(By.CSS_SELECTOR, "label[for='unanswered']").click()
    assert not driver.find_element(By.ID, "rec-1").is_displayed()
    assert driver.find_element(By.ID, "rec-4").is_displayed()


def test_an_answer_in_the_chat_shows_on_the_page_and_is_not_overwritten_blindly(
    world: World, driver: WebDriver
) -> None:
    delegate = Delegate(world.telegram, 802)
    world.loop.run(verify_in_chat(delegate, world.service, office=OFFICES[1]))
    open_page(driver, world.open_as(802), "#rec-1")
    assert not level(driver, 1, "medium").is_selected()
    world.loop.run(answer_in_chat(delegate, 1))  # "Medium", in the chat, while the page is open
    driver.find_element(By.CSS_SELECTOR, "label[for='rec-1-high']").click()
    wait_for_text(driver, "#rec-1-state", "changed elsewhere")
    assert level(driver, 1, "medium").is_selected()
    assert stored_level(world, 802, 1) == "medium"

    open_page(driver, world.open_as(802), "#rec-1")
    assert level(driver, 1, "medium").is_selected()
    assert "1 of 40" in text_of(driver, "#progress-text")


def test_submitting_shows_the_receipt_and_locks_the_page(world: World, driver: WebDriver) -> None:
    person(world, 803, OFFICES[2])
    for number in range(1, 40):
        world.loop.run(world.service.answering.record_answer(803, number, "high"))
    open_page(driver, world.open_as(803), "#rec-40")
    assert "40" in text_of(driver, "#review-text")  # the one still to answer
    choose(driver, 40, "no_opinion")
    wait_for_text(driver, "#review-text", "Every Recommendation is answered")
    driver.find_element(By.ID, "submit").click()
    alert = wait(driver, expected_conditions.alert_is_present())
    assert "locked" in alert.text
    alert.accept()
    wait(driver, expected_conditions.presence_of_element_located((By.ID, "receipt")))
    assert "Reference" in text_of(driver, "#receipt")
    assert driver.find_elements(By.ID, "submit") == []
    assert not level(driver, 1, "high").is_enabled()
    assert not driver.find_element(By.ID, "rec-1-comment").is_enabled()


@pytest.mark.parametrize("launch", ["forged", "expired", "none"])
def test_forged_or_expired_launch_data_gets_nothing(
    world: World, driver: WebDriver, launch: str
) -> None:
    person(world, 804 if launch == "forged" else 805 if launch == "expired" else 806, OFFICES[3])
    if launch == "forged":
        url = world.open_as(804, token="123456:not-the-bot")
    elif launch == "expired":
        url = world.open_as(805, auth_date=int(time.time()) - 2 * 3600)
    else:
        url = world.page_url
    open_page(driver, url, ".refusal")
    assert text_of(driver, ".refusal")
    source = driver.page_source
    assert "rec-1" not in source
    assert OFFICES[3] not in source


def test_the_secretariat_page_lists_every_office(world: World, driver: WebDriver) -> None:
    open_page(driver, world.open_as(SECRETARY, page="secretariat"), "#offices tbody tr")
    rows = driver.find_elements(By.CSS_SELECTOR, "#offices tbody tr")
    assert len(rows) == len(OFFICES)
    codes = [row.find_element(By.CSS_SELECTOR, "th").text for row in rows]
    assert codes == sorted(codes)
    assert driver.find_element(By.ID, "col-code").get_attribute("aria-sort") == "ascending"
    driver.find_element(By.CSS_SELECTOR, "#col-code button").click()
    assert driver.find_element(By.ID, "col-code").get_attribute("aria-sort") == "descending"
    first = driver.find_element(By.CSS_SELECTOR, "#offices tbody tr th").text
    assert first == max(codes)
    driver.find_element(By.ID, "office-filter").send_keys(OFFICES[0])
    assert OFFICES[0] in text_of(driver, "#offices tbody")
    assert len(driver.find_elements(By.CSS_SELECTOR, "#offices tbody tr")) < len(OFFICES)
    assert driver.find_elements(By.CSS_SELECTOR, "#ranking tbody tr")
    # A representative is not a Secretariat member: the dashboard shows only the refusal.
    person(world, 807, OFFICES[4])
    open_page(driver, world.open_as(807, page="secretariat"), ".refusal")
    assert driver.find_elements(By.ID, "offices") == []


def test_one_recommendation_by_keyboard_only(world: World, driver: WebDriver) -> None:
    person(world, 808, OFFICES[5])
    open_page(driver, world.open_as(808), "#rec-1")
    body = driver.find_element(By.TAG_NAME, "body")
    body.click()
    for _ in range(12):  # the language switcher, the filter, the first statement, the levels
        active = driver.switch_to.active_element
        if active.get_attribute("name") == "rec-1-level":
            break
        active.send_keys(Keys.TAB)
    active = driver.switch_to.active_element
    assert active.get_attribute("name") == "rec-1-level"
    active.send_keys(Keys.SPACE)
    wait_for_text(driver, "#rec-1-state", "Saved")
    assert stored_level(world, 808, 1) == "high"
    driver.switch_to.active_element.send_keys(Keys.ARROW_RIGHT)
    wait(driver, lambda d: stored_level(world, 808, 1) == "medium")
    assert level(driver, 1, "medium").is_selected()
    driver.switch_to.active_element.send_keys(Keys.TAB)
    assert driver.switch_to.active_element.get_attribute("id") == "rec-1-comment"
    driver.switch_to.active_element.send_keys("By keyboard", Keys.TAB)
    wait(
        driver,
        lambda d: (
            world.loop.run(world.service.answering.office_answers(808)).answers[1].comment
            == "By keyboard"
        ),
    )


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("page", ["", "secretariat"], ids=["representative", "secretariat"])
def test_axe_finds_no_wcag_a_or_aa_violation(
    world: World, driver: WebDriver, page: str, dark: bool
) -> None:
    user = SECRETARY if page else 809
    if not page and not dark:
        person(world, 809, OFFICES[6])
        world.loop.run(world.service.answering.record_answer(809, 1, "high"))
    driver.set_window_size(*DESKTOP)
    open_page(driver, world.open_as(user, page=page, dark=dark), "main h1")
    for details in driver.find_elements(By.CSS_SELECTOR, "details")[:2]:
        details.find_element(By.TAG_NAME, "summary").click()  # an open statement too
    violations = axe_violations(driver)
    assert violations == [], summary(violations)
    driver.set_window_size(*PHONE)  # where the wide tables scroll sideways
    violations = axe_violations(driver)
    driver.set_window_size(*DESKTOP)
    assert violations == [], summary(violations)


def test_screenshots_in_french_and_dark_on_a_phone_and_a_desk(
    world: World, driver: WebDriver, shots: Path
) -> None:
    person(world, 810, OFFICES[7])
    world.loop.run(world.service.answering.record_answer(810, 1, "high"))
    world.loop.run(world.service.answering.record_answer(810, 2, "low"))
    try:
        shots.mkdir(parents=True, exist_ok=True)
    except OSError:
        pytest.skip(f"cannot write screenshots to {shots}")
    for size, name in ((PHONE, "phone"), (DESKTOP, "desktop")):
        driver.set_window_size(*size)
        for page, user in (("", 810), ("secretariat", SECRETARY)):
            open_page(driver, world.open_as(user, page=page, dark=True, lang="fr"), "main h1")
            assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr"
            stem = f"{page or 'representative'}-{name}-fr-dark"
            driver.save_screenshot(str(shots / f"{stem}.png"))
            further = "offices" if page else "recommendations"  # the tables, the questions
            driver.execute_script(f"document.getElementById('{further}').scrollIntoView()")
            driver.save_screenshot(str(shots / f"{stem}-{further}.png"))
    driver.set_window_size(*DESKTOP)


def test_the_page_follows_telegrams_theme_when_it_changes(world: World, driver: WebDriver) -> None:
    open_page(driver, world.open_as(SECRETARY, page="secretariat"), "main h1")
    background = "return getComputedStyle(document.body).backgroundColor"
    assert driver.execute_script(background) == "rgb(255, 255, 255)"
    driver.execute_script("Telegram.WebApp._setTheme(arguments[0])", DARK_THEME)
    assert driver.execute_script(background) == "rgb(33, 33, 33)"
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("data-scheme") == "dark"
    assert axe_violations(driver) == []
    # The check itself sees a fault when there is one: an input without a label.
    driver.execute_script(
        "document.getElementById('main').appendChild(document.createElement('input'))"
    )
    assert "label" in [violation["id"] for violation in axe_violations(driver)]


def test_the_notice_comes_before_the_first_answer(world: World, driver: WebDriver) -> None:
    async def redeem_only() -> None:
        issued = await world.service.secretariat.create_invitation(OFFICES[8], Actor.cli())
        await world.service.enrolment.redeem(811, issued.code, full_name="Person811")

    world.loop.run(redeem_only())
    open_page(driver, world.open_as(811), "#notice")
    assert not level(driver, 1, "high").is_enabled()
    assert not driver.find_element(By.ID, "submit").is_enabled()
    driver.find_element(By.ID, "notice-ok").click()
    wait(driver, lambda d: level(d, 1, "high").is_enabled())
    assert driver.find_elements(By.ID, "notice") == []
    choose(driver, 1, "high")
    assert stored_level(world, 811, 1) == "high"


def test_the_language_switcher_speaks_the_chosen_language(world: World, driver: WebDriver) -> None:
    person(world, 812, OFFICES[9])
    open_page(driver, world.open_as(812), "#rec-1")
    Select(driver.find_element(By.ID, "language")).select_by_value("es")
    wait(driver, lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "es")
    wait_for_text(driver, "#review-title", "Revisar y enviar")
    open_page(driver, world.open_as(812, lang="fr"), "#rec-1")  # stored: the chat speaks it too
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "es"
