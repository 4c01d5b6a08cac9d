"""The web app in a real browser: Debian's chromium, headless, driven by Playwright (browser
downloads fail here, so Playwright gets chromium's path). Screenshots go to
artifacts/browser/ so a person can look at what the test saw (and, with `make screenshots`,
to docs/images/ for the README)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from coach.settings import REPO_ROOT
from tests.conftest import free_port, wait_for_http

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = REPO_ROOT / "artifacts" / "browser"
# `make screenshots` sets this, and the README's pictures of each view are taken anew.
README_SHOTS = REPO_ROOT / "docs" / "images"


def shot(page, view: str) -> None:
    page.screenshot(path=SHOTS / f"{view}.png")
    if os.environ.get("COACH_README_SCREENSHOTS") == "1":
        README_SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=README_SHOTS / f"{view}.png")


@pytest.fixture(scope="module")
def first_start(indexed_dir, tmp_path_factory):
    """app.py on an empty database, as on a first `make run`: it prints demo accounts."""
    data = tmp_path_factory.mktemp("browser")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIE_")}
    env |= {"MIE_CHROMA_PATH": str(indexed_dir / "chroma"), "MIE_DATA_DIR": str(data)}
    port = free_port()
    log = data / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, str(REPO_ROOT / "app.py")],
            env=env | {"MIE_PORT": str(port)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    wait_for_http(url, proc, 90)
    accounts = dict(re.findall(r"^\s+\w+\s+(demo-\w+)\s+(\S+)$", log.read_text(), re.M))
    yield url, accounts
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is needed: apt-get install chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


def log_in(page, url: str, username: str, password: str) -> None:
    page.goto(url)
    page.get_by_label("username").fill(username)
    page.get_by_label("password").fill(password)
    page.get_by_role("button", name="Login").click()
    page.get_by_text(f"Signed in as {username}").wait_for(timeout=30_000)


def test_first_start_prints_demo_accounts(first_start):
    _, accounts = first_start
    assert set(accounts) == {"demo-trainee", "demo-supervisor", "demo-admin"}
    assert all(len(p) >= 12 for p in accounts.values())


def test_trainee_chats_and_supervisor_reviews(first_start, browser):
    url, accounts = first_start
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 1000})

    page.goto(url)
    page.screenshot(path=SHOTS / "01-login.png")
    log_in(page, url, "demo-trainee", accounts["demo-trainee"])
    assert not page.get_by_role("tab", name="Review").is_visible()
    page.get_by_label("Your message").fill("My client feels nothing changed after her retreat.")
    page.get_by_role("button", name="Send").click()
    page.get_by_text("Sources").first.wait_for(timeout=60_000)
    bot = page.locator(".message.bot, [data-testid='bot']").last
    assert len(bot.inner_text().split()) > 3
    page.get_by_text("Sources").first.click()
    page.screenshot(path=SHOTS / "02-trainee-reply.png")
    shot(page, "trainee")

    page.get_by_text("End this session").click()
    page.get_by_label("My next steps (in my own words)").fill("Ask her what mattered most.")
    page.get_by_role("button", name="End session").click()
    page.get_by_text("Closing summary").wait_for(timeout=60_000)
    page.get_by_text("ended and saved").wait_for()
    page.screenshot(path=SHOTS / "03-session-ended.png")
    page.goto(url + "logout")

    log_in(page, url, "demo-supervisor", accounts["demo-supervisor"])
    # The supervisor lands on their review list, already filled: no tab to click first.
    listing = page.locator("#review-list")
    listing.get_by_text("demo-trainee").last.wait_for(timeout=30_000)  # first: a hidden copy
    ids = set(re.findall(r"\b[0-9a-f]{12}\b", listing.inner_text()))
    assert len(ids) == 1, ids  # the one session the trainee just had
    session_id = ids.pop()
    listing.get_by_text(session_id).last.click()  # clicking the row opens the session
    page.get_by_text("MITI summary").wait_for(timeout=30_000)
    assert page.get_by_text("Ask her what mattered most.").is_visible()
    assert page.locator(".code").count() > 0  # MI codes on the utterances

    page.get_by_label("off topic").check()  # rate the AI supervisor's reply
    page.get_by_label("Note (optional)").fill("Drifted away from her retreat.")
    page.get_by_role("button", name="Save rating").click()
    page.get_by_text("Drifted away from her retreat.").wait_for(timeout=30_000)
    assert page.locator(".rating").first.inner_text().startswith("demo-supervisor rated")
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "supervisor")

    page.get_by_label("Comment", exact=True).fill("Nice use of an open question.")
    page.get_by_role("button", name="Add comment").click()
    page.get_by_text("Nice use of an open question.").wait_for(timeout=30_000)
    page.get_by_role("button", name="Export").click()
    # the file component shows the export's (shortened) name and its size as a download link
    link = page.locator("a[download]").last
    link.wait_for(timeout=30_000)
    assert f"session-{session_id}.html" in (link.get_attribute("href") or "")
    page.screenshot(path=SHOTS / "04-supervisor-review.png", full_page=True)
    page.goto(url + "logout")

    log_in(page, url, "demo-admin", accounts["demo-admin"])
    page.locator("#users-list").get_by_text("demo-trainee").last.wait_for(timeout=30_000)
    shot(page, "admin")


def test_trainee_practises_with_feedback_a_hint_and_a_debrief(first_start, browser):
    """After the review test: it adds a practice to the demo trainee's sessions."""
    url, accounts = first_start
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    log_in(page, url, "demo-trainee", accounts["demo-trainee"])
    page.get_by_role("tab", name="Practice").click()
    page.get_by_label("Simulated client").click()
    page.get_by_role("option", name=re.compile("^Maya")).click()
    page.get_by_role("button", name="Start practice").click()
    page.get_by_text("You are the therapist.").wait_for(timeout=30_000)
    page.get_by_label("You, as the therapist").fill(
        "It sounds like part of you wants to call your sister and part of you is scared."
    )
    page.get_by_role("button", name="Say it").click()
    page.get_by_text("Your last utterance:").wait_for(timeout=60_000)
    assert page.get_by_text("reflections to questions").is_visible()
    page.get_by_role("button", name="Hint").click()
    page.get_by_text("May I offer one idea for your next move?").wait_for(timeout=30_000)
    page.get_by_role("button", name="End and debrief").click()
    page.get_by_text("Debrief", exact=True).wait_for(timeout=60_000)
    page.get_by_text("Practice ended and saved").wait_for()
    assert page.get_by_text("What will you take from this").is_visible()
