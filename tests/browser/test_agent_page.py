"""The agent page (`GET /`) in headless Chromium against the real `fixbook serve`.

What an agent does: type the seed guide's errors and see the right entry, answer the
questions and see the verdicts and the confidence change, get "no known problem" for an
unrelated text, share the URL, work from the keyboard, give the key the server asks for.
The expected entries and verdicts come from the pack's own examples.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from conftest import PACK_ID, ROOT, TARGET, Server, examples, new_driver

SHOTS = TARGET / "browser-screenshots"
BLESSED = ROOT / "docs" / "screenshots"


def screenshot(driver, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(str(path))
    if os.environ.get("FIXBOOK_BLESS"):
        BLESSED.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, BLESSED / f"{name}.png")


def state(driver) -> dict[str, list[str]]:
    """The page's URL fragment, parsed."""
    return parse_qs(urlsplit(driver.current_url).fragment, keep_blank_values=True)


def wait(driver, cond, timeout: float = 15, message: str = ""):
    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(lambda d: cond(d), message)


def settled(driver, text: str, fact: str | None = None) -> None:
    """Waits until the page has shown the diagnosis of exactly `text` (the URL holds the text
    of the last request sent, and no request is in flight)."""

    def done(d):
        # read in one script: the URL and the busy flag of the same moment
        busy, href = d.execute_script(
            "return [document.getElementById('results').getAttribute('aria-busy'), location.href]"
        )
        now = parse_qs(urlsplit(href).fragment)
        return busy != "true" and now.get("text", [""])[0] == text and (fact is None or f"f.{fact}" in now)

    wait(driver, done, message=f"no diagnosis shown for {text[:60]!r}")


def open_page(driver, server, fragment: str = "") -> None:
    driver.get(server.url + "/" + fragment)
    wait(driver, lambda d: d.execute_script("return document.readyState") == "complete")


def type_text(driver, text: str) -> None:
    box = driver.find_element(By.ID, "text")
    box.click()
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    box.send_keys(text)
    settled(driver, text)


def shown_entries(driver) -> list[str]:
    return driver.execute_script(
        "return [...document.querySelectorAll('#matches [data-entry]')].map(m => m.dataset.entry)"
    )


def verdicts(driver, entry: str) -> dict[str, str]:
    return driver.execute_script(
        """const card = [...document.querySelectorAll('#matches [data-entry]')]
             .find(m => m.dataset.entry === arguments[0]);
           if (!card) return null;
           return Object.fromEntries([...card.querySelectorAll('[data-cause]')]
             .map(c => [c.dataset.cause, c.dataset.verdict]));""",
        entry,
    )


def question_fact(driver) -> str | None:
    return driver.execute_script(
        """const q = document.getElementById('question');
           return !q.hidden && q.querySelector('button[data-value], input') ? q.dataset.fact : null;"""
    )


def no_page_errors(driver) -> None:
    """Nothing was refused by the Content-Security-Policy and no script failed."""
    # (the probe of /v1/gaps on a server without outcomes is an expected 409)
    bad = [e for e in driver.get_log("browser") if e["level"] == "SEVERE" and "/v1/gaps?limit=0" not in e["message"]]
    assert not bad, bad


ANSWER_JS = """
const [facts] = arguments;
const q = document.getElementById('question');
const fact = q.dataset.fact;
if (q.hidden || !q.querySelector('button[data-value], input')) return null;
if (!(fact in facts)) { q.querySelector('button.skip-q').click(); return ['skipped', fact]; }
const value = facts[fact];
const button = [...q.querySelectorAll('button[data-value]')].find(b => b.dataset.value === String(value));
if (button) { button.click(); return ['answered', fact]; }
return q.querySelector('#q-input') ? ['form', fact, q.querySelector('#q-input').type] : null;
"""


def answer_example(
    driver, example: dict, text: str | None = None, skip_limit: int = 12, how: list[str] | None = None
) -> list[str]:
    """Answers the page's questions with the example's facts, one at a time as asked (skipping
    those the example does not know), as a click on the answer's button (or the form for
    free answers); returns the facts answered, in order (and in `how`, how each was given:
    `answered` for a button, `form` for typing)."""
    answered: list[str] = []
    for _ in range(skip_limit):
        # one script per step: the question read and its button clicked at the same moment
        done = driver.execute_script(ANSWER_JS, example["facts"])
        if done is None:
            break
        if done[0] == "form":  # typed into the fact's form, as a user does
            value = example["facts"][done[1]]
            box = driver.find_element(By.ID, "q-input")
            box.send_keys(", ".join(value) if isinstance(value, list) else str(value), Keys.ENTER)
        if done[0] in ("answered", "form"):
            answered.append(done[1])
            if how is not None:
                how.append(done[0])
            settled(driver, text or example["text"], done[1])
    return answered


def bool_example() -> dict:
    """The first diagnosis example whose facts are all yes/no and that decides two causes or more."""
    for e in examples("diagnosis"):
        facts = e.get("facts", {})
        decided = [v for v in e.get("verdicts", {}).values() if v != "unknown"]
        if facts and all(isinstance(v, bool) for v in facts.values()) and len(decided) >= 2:
            return e
    pytest.fail("no diagnosis example with yes/no facts")


def test_the_seed_guides_errors_find_their_entries_as_you_type(server, browser, seed_errors):
    open_page(browser, server)
    assert browser.switch_to.active_element.get_attribute("id") == "text", "the text box has the focus"
    for ex in seed_errors:
        type_text(browser, ex["text"])
        if "first_question" in ex:
            assert question_fact(browser) == ex["first_question"], ex["name"]
        if ex.get("facts"):  # answered through the page's questions
            assert answer_example(browser, ex), f"{ex['name']}: none of its facts was asked"
        ours = [e for e in shown_entries(browser) if e.startswith(PACK_ID + "/")]
        if "expect" in ex:
            want = f"{PACK_ID}/{ex['expect']}"
            assert want in ours[: ex.get("within", 1)], f"{ex['name']}: {ours} {browser.find_element(By.ID, 'status').text!r} {browser.current_url}"
        else:
            want = {f"{PACK_ID}/{e}" for e in ex["expect_any"]}
            assert want & set(ours[: len(want)]), f"{ex['name']}: {ours}"
        # the answers of one example are not the next one's
        for b in browser.find_elements(By.CSS_SELECTOR, "#facts button"):
            browser.find_element(By.CSS_SELECTOR, "#facts button").click()
            settled(browser, ex["text"])
        status = browser.find_element(By.ID, "status").text
        assert "confidence" in status and "%" in status, status
        marks = browser.find_elements(By.CSS_SELECTOR, "#marked mark")
        assert marks, f"{ex['name']}: nothing highlighted"
        # every highlight is a piece of the typed text
        assert all(m.text and m.text.lower() in ex["text"].lower() for m in marks)
    no_page_errors(browser)


def test_a_signature_is_highlighted_where_it_is_in_the_text(server, browser):
    ex = next(e for e in examples("diagnosis") if "sso:ListApplicationProviders" in e["text"])
    open_page(browser, server)
    text = "Console says:\u00a0 \u201cUser\u201d\n" + ex["text"]
    type_text(browser, text)
    sig = browser.find_elements(By.CSS_SELECTOR, "#marked mark.sig")
    assert [m.text for m in sig] == ["sso:ListApplicationProviders"], [m.text for m in sig]
    screenshot(browser, "match")


def test_answers_change_the_verdicts_and_the_confidence(server, browser):
    ex = bool_example()
    entry = f"{PACK_ID}/{ex['expect']}"
    open_page(browser, server)
    type_text(browser, ex["text"])
    before = verdicts(browser, entry)
    assert set(ex["verdicts"]) <= set(before)
    shown = f'[data-entry="{entry}"] .confidence-value'
    confidence = browser.find_element(By.CSS_SELECTOR, shown).text
    # one question at a time: whenever an answer moves the confidence, "what changed" says so
    answered: list[str] = []
    for _ in range(12):
        done = browser.execute_script(ANSWER_JS, ex["facts"])
        if done is None:
            break
        assert done[0] in ("answered", "skipped"), done  # yes/no facts: buttons only
        if done[0] == "skipped":
            continue
        answered.append(done[1])
        settled(browser, ex["text"], done[1])
        now = browser.find_element(By.CSS_SELECTOR, shown).text
        if now != confidence:
            lines = browser.find_element(By.ID, "changes").text
            assert re.search(r"confidence \d+ % → \d+ %", lines), f"{done[1]}: {lines}"
        confidence = now
    assert answered, "the page asked none of the example's facts"
    after = verdicts(browser, entry)
    for cause, verdict in ex["verdicts"].items():
        assert after[cause] == verdict, f"{cause}: {after[cause]} after answering {answered}"
    changed = browser.find_element(By.ID, "changes")
    assert changed.is_displayed()
    lines = changed.text
    # the last answer's changes: at least one verdict moved from unknown
    assert "→" in lines, lines
    assert any(before[c] != after[c] for c in ex["verdicts"])
    facts = browser.find_elements(By.CSS_SELECTOR, "#facts [data-fact]")
    assert [f.get_attribute("data-fact") for f in facts] == answered
    no_page_errors(browser)


def test_numbers_and_text_are_answered_in_a_form_of_the_facts_type(server, browser):
    """Diagnosis examples of every shipped pack with a number fact: the page asks it with a
    number field, and the typed answers give the example's verdicts."""
    chosen = []
    for pack in sorted((ROOT / "packs").iterdir()):
        for e in examples("diagnosis", pack.name):
            facts = e.get("facts", {})
            if any(isinstance(v, int) and not isinstance(v, bool) for v in facts.values()):
                chosen.append((pack.name, e))
                break
    assert chosen, "no example with a number fact"
    forms = 0
    for pack, ex in chosen:
        open_page(browser, server)
        type_text(browser, ex["text"])
        how: list[str] = []
        answered = answer_example(browser, ex, skip_limit=20, how=how)
        entry = f"{pack}/{ex['expect']}"
        got = verdicts(browser, entry)
        assert got is not None, f"{ex['name']}: {entry} not shown after {answered}"
        for cause, verdict in ex.get("verdicts", {}).items():
            assert got[cause] == verdict, f"{ex['name']}: {cause} is {got[cause]} after {answered}"
        forms += how.count("form")
    assert forms, "no number or text question was asked"
    no_page_errors(browser)


def test_an_answer_that_tells_two_entries_apart_raises_the_confidence(server, browser):
    """The pack's ambiguous text (`expect_any` with a `first_question`) and the examples that
    answer that question: the page asks it first, and the answer picks the example's entry
    with a higher confidence than before."""
    ambiguous = [e for e in examples("search") if "first_question" in e and "expect_any" in e]
    assert ambiguous, "the pack has no ambiguous example"
    checked = 0
    for amb in ambiguous:
        fact = amb["first_question"]
        for ex in examples("search"):
            if ex["text"] != amb["text"] or fact not in ex.get("facts", {}) or "expect" not in ex:
                continue
            open_page(browser, server)
            type_text(browser, ex["text"])
            assert question_fact(browser) == fact
            done = browser.execute_script(ANSWER_JS, {fact: ex["facts"][fact]})
            assert done == ["answered", fact]
            settled(browser, ex["text"], fact)
            best = shown_entries(browser)[0]
            assert best == f"{PACK_ID}/{ex['expect']}", ex["name"]
            lines = browser.find_element(By.ID, "changes").text
            m = re.search(r"confidence (\d+) % → (\d+) %", lines)
            assert m and int(m[2]) > int(m[1]), lines
            assert "best match:" in lines or "→" in lines
            checked += 1
    assert checked
    screenshot(browser, "answered")
    no_page_errors(browser)


def test_an_unrelated_text_shows_no_known_problem(server, browser, unrelated_texts):
    open_page(browser, server)
    for text in unrelated_texts:
        type_text(browser, text)
        assert "no known problem" in browser.find_element(By.ID, "status").text.lower()
        assert shown_entries(browser) == []
        assert not browser.find_element(By.ID, "question").is_displayed()
    screenshot(browser, "no-match")


def test_a_shared_link_reproduces_the_diagnosis(server, browser):
    ex = bool_example()
    entry = f"{PACK_ID}/{ex['expect']}"
    open_page(browser, server)
    text = ex["text"] + "\n(ticket #4711 & co)"
    type_text(browser, text)
    answered = answer_example(browser, ex, text)
    link = browser.current_url
    shown = verdicts(browser, entry)
    other = new_driver()
    try:
        open_page(other, server, "#" + urlsplit(link).fragment)
        settled(other, text)
        assert other.find_element(By.ID, "text").get_attribute("value") == text
        assert verdicts(other, entry) == shown
        assert [f.get_attribute("data-fact") for f in other.find_elements(By.CSS_SELECTOR, "#facts [data-fact]")] == answered
    finally:
        other.quit()
    # removing an answer is in the URL too
    browser.find_element(By.CSS_SELECTOR, f'#facts [data-fact="{answered[-1]}"] button').click()
    wait(browser, lambda d: f"f.{answered[-1]}" not in state(d))


def test_the_page_works_from_the_keyboard(server, browser):
    ex = bool_example()
    open_page(browser, server)
    active = lambda: browser.switch_to.active_element  # noqa: E731
    active().send_keys(ex["text"])
    settled(browser, ex["text"])
    first_fact = question_fact(browser)
    assert first_fact
    # Esc leaves the text for the question's first answer; n (yes/no) or 1 (choices) answers it
    active().send_keys(Keys.ESCAPE)
    value = active().get_attribute("data-value")
    assert value and active().find_elements(By.XPATH, "ancestor::*[@id='question']"), active().get_attribute("outerHTML")
    key, value = ("n", "false") if value in ("true", "false") else ("1", value)
    active().send_keys(key)
    wait(browser, lambda d: state(d).get(f"f.{first_fact}") == [value])
    wait(browser, lambda d: d.find_element(By.ID, "results").get_attribute("aria-busy") != "true")
    # the focus follows to the next question (or the results when none is left)
    focused = active()
    assert focused.get_attribute("id") == "results" or focused.find_elements(By.XPATH, "ancestor::*[@id='question']")
    # u undoes it
    focused.send_keys("u")
    wait(browser, lambda d: f"f.{first_fact}" not in state(d))
    wait(browser, lambda d: question_fact(d) == first_fact)
    # s skips to the next question
    active().send_keys("s")
    assert question_fact(browser) != first_fact
    # / goes back to the text; Tab from the text reaches the question in a few steps
    active().send_keys("/")
    assert active().get_attribute("id") == "text"
    for _ in range(4):
        active().send_keys(Keys.TAB)
        if active().find_elements(By.XPATH, "ancestor::*[@id='question']"):
            break
    else:
        pytest.fail("Tab from the text does not reach the question")
    # ? shows the shortcuts
    active().send_keys("?")
    assert browser.find_element(By.ID, "shortcuts").is_displayed()
    assert "Undo the last answer" in browser.find_element(By.ID, "shortcuts").text


def test_copy_as_note_holds_the_diagnosis(server, browser):
    ex = bool_example()
    open_page(browser, server)
    browser.execute_cdp_cmd(
        "Browser.grantPermissions",
        {"origin": server.url, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]},
    )
    type_text(browser, ex["text"])
    browser.find_element(By.ID, "copy-note").click()
    wait(browser, lambda d: "copied" in d.find_element(By.ID, "notice").text)
    note = browser.execute_async_script("navigator.clipboard.readText().then(arguments[0], e => arguments[0]('ERR ' + e))")
    assert f"{PACK_ID}/{ex['expect']}" in note, note
    assert "Confidence: " in note and "Link: " + browser.current_url in note, note
    assert "<" not in note, "the note is plain text"


def test_the_outcome_buttons_are_hidden_without_an_outcome_store(server, browser):
    open_page(browser, server)
    type_text(browser, bool_example()["text"])
    assert browser.find_element(By.ID, "actions").is_displayed()
    assert not browser.find_element(By.ID, "feedback").is_displayed()


def test_fixed_it_and_didnt_help_reach_the_outcome_store(browser):
    """With `--outcomes DB` the buttons appear; each click is one report for the best match,
    which the next diagnosis's trace counts (`prior`)."""
    ambiguous = next(e for e in examples("search") if "first_question" in e and "expect_any" in e)
    answered = next(
        e for e in examples("search")
        if e["text"] == ambiguous["text"] and ambiguous["first_question"] in e.get("facts", {})
    )
    with tempfile.TemporaryDirectory() as tmp:
        s = Server(args=("--outcomes", str(Path(tmp) / "outcomes.db")))
        try:
            open_page(browser, s)
            type_text(browser, answered["text"])
            assert answer_example(browser, answered)
            entry = shown_entries(browser)[0]
            assert entry == f"{PACK_ID}/{answered['expect']}"
            wait(browser, lambda d: d.find_element(By.ID, "feedback").is_displayed(), message="no outcome buttons")
            browser.find_element(By.ID, "fixed").click()
            wait(browser, lambda d: "recorded as fixed" in d.find_element(By.ID, "notice").text)
            browser.find_element(By.ID, "not-fixed").click()
            wait(browser, lambda d: "recorded as not fixed" in d.find_element(By.ID, "notice").text)
            trace = s.post("/v1/diagnose", {"text": answered["text"], "trace": True})["trace"]
            prior = next(c for c in trace["candidates"] if c["id"] == entry).get("prior")
            assert prior and (prior["resolved"], prior["linked"]) == (1, 2), prior
            screenshot(browser, "outcome")
        finally:
            s.stop()


def test_the_key_is_asked_for_when_the_server_needs_one(browser):
    keyed = Server('[[keys]]\nname = "agent"\nkey = "agent-key-0123456789"\n')
    try:
        open_page(browser, keyed)
        assert "Error, log excerpt or ticket" in browser.page_source, "the page needs no key"
        text = bool_example()["text"]
        browser.find_element(By.ID, "text").send_keys(text)
        wait(browser, lambda d: d.find_element(By.ID, "key-dialog").is_displayed())
        assert browser.switch_to.active_element.get_attribute("id") == "key-input"
        screenshot(browser, "key")
        browser.switch_to.active_element.send_keys("agent-key-0123456789", Keys.ENTER)
        settled(browser, text)
        wait(browser, lambda d: shown_entries(d))
        assert browser.execute_script("return sessionStorage.getItem('fixbook.key')") == "agent-key-0123456789"
    finally:
        keyed.stop()


CONTRAST_JS = """
const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
const lum = ([r, g, b]) => {
  const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
};
const background = (el) => {
  for (let e = el; e; e = e.parentElement) {
    const c = rgb(getComputedStyle(e).backgroundColor);
    if (c.length === 3 || c[3] > 0) return c.slice(0, 3);
  }
  return [255, 255, 255];
};
const low = [];
for (const el of document.querySelectorAll(arguments[0])) {
  if (!el.offsetParent || !el.textContent.trim()) continue;
  const a = lum(rgb(getComputedStyle(el).color)), b = lum(background(el));
  const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  if (ratio < 4.5) low.push([el.className || el.tagName, ratio.toFixed(2)]);
}
return low;
"""


def test_text_meets_the_aa_contrast_ratio(server, browser):
    ex = bool_example()
    open_page(browser, server)
    type_text(browser, ex["text"])
    answer_example(browser, ex)
    shown = browser.execute_script("return document.querySelectorAll('.verdict').length")
    assert shown >= 3
    low = browser.execute_script(
        CONTRAST_JS,
        "body, label, .hint, .status, .verdict, .cause-why, .id, .q-meta, .q-text, button, mark,"
        " .changes, .facts li, .notice, kbd, .foot, .summary, a",
    )
    assert not low, f"below 4.5:1: {low}"


def test_the_page_fits_a_phone(server):
    ex = bool_example()
    phone = new_driver(390, 844)
    try:
        # a phone's viewport (headless windows are at least 500 px wide)
        phone.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True},
        )
        open_page(phone, server)
        type_text(phone, ex["text"])
        width = phone.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"horizontal scrolling on a phone: {width}"
        screenshot(phone, "phone")
    finally:
        phone.quit()
