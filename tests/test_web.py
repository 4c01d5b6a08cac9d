"""The web app over HTTP, served by app.py as `make run` does: login, server-side access
control in every handler (gradio_client with and without credentials), audit, exports."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError, AuthenticationError

from coach.settings import REPO_ROOT
from tests.conftest import free_port, wait_for_http

PASSWORD = "correct-horse-battery"
LIST_FLAGGED = 5  # column of the supervisor's session list
USERS = [
    ("alice", "trainee"),
    ("bob", "trainee"),
    ("sue", "supervisor"),
    ("sam", "supervisor"),
    ("ada", "admin"),
    ("tom", "trainee"),
]


@pytest.fixture(scope="module")
def web_data(tmp_path_factory):
    return tmp_path_factory.mktemp("web")


@pytest.fixture(scope="module")
def web_env(indexed_dir, web_data):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIE_")}
    # The model's path (moves, best_of_n) streams the draft sentence by sentence and samples
    # after it, so a reply lasts long enough for the stop and second-send tests; the default
    # (composed replies, shown at once) is driven by test_browser.py and test_composed.py.
    return env | {
        "MIE_CHROMA_PATH": str(indexed_dir / "chroma"),
        "MIE_DATA_DIR": str(web_data),
        "MIE_GUIDANCE": "best_of_n",
        "MIE_REPLY_DESIGN": "moves",
    }


@pytest.fixture(scope="module")
def web_url(web_env, tmp_path_factory):
    mie = [sys.executable, "-m", "coach.cli"]
    for name, role in USERS:
        subprocess.run(
            [*mie, "users", "add", name, "--role", role, "--password-stdin"],
            input=PASSWORD + "\n",
            text=True,
            env=web_env,
            check=True,
            capture_output=True,
        )
    subprocess.run(
        [*mie, "users", "assign", "sue", "alice"], env=web_env, check=True, capture_output=True
    )
    port = free_port()
    log = tmp_path_factory.mktemp("web-log") / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, str(REPO_ROOT / "app.py")],
            env=web_env | {"MIE_PORT": str(port)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    wait_for_http(url, proc, 90)  # the login page
    yield url
    proc.terminate()
    proc.wait(timeout=10)
    assert "Demo accounts" not in log.read_text()  # users existed: no demo accounts
    assert PASSWORD not in log.read_text()


def login(url: str, name: str) -> Client:
    return Client(url, auth=(name, PASSWORD), verbose=False)


def text_of(message: dict) -> str:
    content = message["content"]
    return content if isinstance(content, str) else "".join(c["text"] for c in content)


def db_count(web_data: Path, sql: str) -> int:
    with sqlite3.connect(web_data / "coach.db") as db:
        return db.execute(sql).fetchone()[0]


@pytest.fixture(scope="module")
def alice_session(web_url) -> str:
    alice = login(web_url, "alice")
    history, box = alice.predict(
        "My client says nothing changed after her retreat.", [], "client", api_name="/chat"
    )
    assert box == "" and [m["role"] for m in history] == ["user", "assistant"]
    assert "<summary>Sources</summary>" in text_of(history[1])
    (row,) = alice.predict(api_name="/my_sessions")["data"]
    return row[0]


def test_nobody_unauthenticated_gets_anything(web_url):
    with pytest.raises(AuthenticationError):
        Client(web_url, verbose=False)
    for path in ("config", "gradio_api/info", "gradio_api/queue/join"):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(web_url + path, timeout=5)
        assert err.value.code in (401, 405), path
    forged = urllib.request.Request(
        web_url + "config", headers={"Cookie": "access-token=forged-token"}
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(forged, timeout=5)
    assert err.value.code == 401


def test_a_wrong_password_is_refused(web_url):
    import httpx

    for name, password in (("alice", "wrong-password-123"), ("nobody", PASSWORD)):
        response = httpx.post(web_url + "login", data={"username": name, "password": password})
        assert response.status_code == 400 and "Incorrect credentials" in response.text
        assert "access-token" not in response.headers.get("set-cookie", "")
    ok = httpx.post(web_url + "login", data={"username": "alice", "password": PASSWORD})
    assert ok.status_code == 200 and "access-token" in ok.headers["set-cookie"]


def test_a_trainee_sees_only_their_own_sessions(web_url, alice_session):
    bob = login(web_url, "bob")
    assert bob.predict(api_name="/my_sessions")["data"] == []
    with pytest.raises(AppError, match="does not exist or is not yours"):
        bob.predict(alice_session, api_name="/open_session")
    history, focus, status = login(web_url, "alice").predict(
        alice_session, api_name="/open_session"
    )
    assert len(history) == 2 and focus == "client" and alice_session in status


def test_trainees_cannot_use_supervisor_or_admin_handlers(web_url, alice_session):
    alice = login(web_url, "alice")
    with pytest.raises(AppError, match="needs a supervisor account"):
        alice.predict("(all)", "", "", "(all)", False, api_name="/sessions")
    with pytest.raises(AppError, match="needs a supervisor account"):
        alice.predict(alice_session, api_name="/review")
    with pytest.raises(AppError, match="needs an admin account"):
        alice.predict("mallory", "admin", api_name="/add_user")


def test_a_supervisor_sees_only_assigned_trainees(web_url, web_data, alice_session):
    sue, sam = login(web_url, "sue"), login(web_url, "sam")
    rows = sue.predict("(all)", "", "", "(all)", False, api_name="/sessions")["data"]
    assert [r[0] for r in rows] == [alice_session] and rows[0][1] == "alice"
    assert sam.predict("(all)", "", "", "(all)", False, api_name="/sessions")["data"] == []
    with pytest.raises(AppError, match="does not exist or is not yours"):
        sam.predict(alice_session, api_name="/review")
    with pytest.raises(AppError, match="'alice' is not one of your trainees"):
        sam.predict("alice", "", "", "(all)", False, api_name="/sessions")
    with pytest.raises(AppError, match="does not exist or is not yours"):
        sam.predict(alice_session, "json", api_name="/export")
    assert (
        db_count(
            web_data,
            "select count(*) from audit_log a join users u on "
            "u.id = a.user_id where u.username = 'sam'",
        )
        == 0
    )


def test_filters_and_bad_dates(web_url, alice_session):
    sue = login(web_url, "sue")
    assert sue.predict("alice", "", "", "skills", False, api_name="/sessions")["data"] == []
    assert sue.predict("alice", "", "", "(all)", True, api_name="/sessions")["data"] == []
    assert (
        sue.predict("alice", "2020-01-01", "2099-01-01", "client", False, api_name="/sessions")[
            "data"
        ][0][0]
        == alice_session
    )
    with pytest.raises(AppError, match="The from date 'yesterday' is not a date"):
        sue.predict("alice", "yesterday", "", "(all)", False, api_name="/sessions")


def test_review_comment_export_and_audit(web_url, web_data, alice_session):
    sue = login(web_url, "sue")
    page, target, reply, opened = sue.predict(alice_session, api_name="/review")
    assert "MITI summary" in page and "#2 Supervisor" in page
    assert target["value"] == "the whole session" and len(target["choices"]) == 3
    assert opened == alice_session and reply["value"].startswith("#2 supervisor:")
    assert "fair / good" in page
    page, box = sue.predict(
        alice_session, "the whole session", "Good focus on her values.", api_name="/comment"
    )
    assert box == "" and "Good focus on her values." in page
    with pytest.raises(AppError, match="The comment is empty"):
        sue.predict(alice_session, "the whole session", "   ", api_name="/comment")

    exported = json.loads(Path(sue.predict(alice_session, "json", api_name="/export")).read_text())
    assert exported["session"]["trainee"] == "alice"
    assert [m["role"] for m in exported["messages"]] == ["trainee", "supervisor"]
    assert exported["messages"][1]["codes"]["miti_codes"] is not None
    assert exported["messages"][0]["codes"]["talk_type"] in {"change", "neutral", "sustain"}
    assert exported["comments"][0]["text"] == "Good focus on her values."
    assert "fidelity" in exported["miti_summary"]
    csv_text = Path(sue.predict(alice_session, "csv", api_name="/export")).read_text()
    assert csv_text.startswith("conversation_id,number,speaker,text")
    html = Path(sue.predict(alice_session, "html", api_name="/export")).read_text()
    assert "<h1>Supervision session" in html

    actions = {
        r[0]
        for r in sqlite3.connect(web_data / "coach.db").execute(
            "select action from audit_log a join users u on u.id = a.user_id "
            "where u.username = 'sue' and a.session_id = ?",
            (alice_session,),
        )
    }
    assert {"view", "comment", "export:json", "export:csv", "export:html"} <= actions


def test_rating_a_reply_is_stored_shown_exported_and_plotted(web_url, web_data, alice_session):
    sue, sam, alice = login(web_url, "sue"), login(web_url, "sam"), login(web_url, "alice")
    _, _, reply, _ = sue.predict(alice_session, api_name="/review")
    choice = reply["value"]
    page, note, saved = sue.predict(
        alice_session, choice, "off_topic", "Talks about dosing, not her tears.", api_name="/rate"
    )
    assert note == "" and "rated off topic" in saved
    assert "rated this reply <b>off topic</b>: Talks about dosing, not her tears." in page
    # Rating again replaces the reviewer's rating rather than adding a second one.
    page, _, _ = sue.predict(alice_session, choice, "helpful", "", api_name="/rate")
    assert "rated this reply <b>helpful</b>" in page and "off topic" not in page
    assert db_count(web_data, "select count(*) from ratings") == 1

    with pytest.raises(AppError, match=r"'brilliant'.* is not in the list of choices"):
        sue.predict(alice_session, choice, "brilliant", "", api_name="/rate")
    with pytest.raises(AppError, match="Only what a model wrote can be rated"):
        sue.predict(alice_session, "#1 trainee: anything", "helpful", "", api_name="/rate")
    with pytest.raises(AppError, match="does not exist or is not yours"):
        sam.predict(alice_session, choice, "unsafe", "", api_name="/rate")
    with pytest.raises(AppError, match="needs a supervisor account"):
        alice.predict(alice_session, choice, "unsafe", "", api_name="/rate")
    assert db_count(web_data, "select count(*) from ratings") == 1

    exported = json.loads(Path(sue.predict(alice_session, "json", api_name="/export")).read_text())
    assert exported["messages"][1]["ratings"] == [
        {"rater": "sue", "rating": "helpful", "note": None}
    ]
    csv_text = Path(sue.predict(alice_session, "csv", api_name="/export")).read_text()
    assert csv_text.splitlines()[0].endswith(",ratings") and "sue: helpful" in csv_text
    plot = sue.predict("alice", api_name="/trend")
    assert ["rated helpful", 1.0] in [row[1:] for row in plot["data"]]


def test_trend_per_trainee(web_url, alice_session):
    plot = login(web_url, "sue").predict("alice", api_name="/trend")
    assert plot["columns"] == ["session", "measure", "value"]
    assert {"fidelity", "trainee change talk"} <= {row[1] for row in plot["data"]}
    with pytest.raises(AppError, match="Choose one of your trainees"):
        login(web_url, "sam").predict("alice", api_name="/trend")


def test_bad_messages_save_nothing(web_url, web_data, alice_session):
    alice = login(web_url, "alice")
    before = db_count(web_data, "select count(*) from messages")
    for message in ("   ", "x" * 20_000, "\x00\x07"):
        history, box = alice.predict(message, [], "open", api_name="/chat")
        assert history == [] and box == message
    assert db_count(web_data, "select count(*) from messages") == before
    history, _ = alice.predict("Hello\x07 there\x00", [], "open", api_name="/chat")
    assert text_of(history[0]) == "Hello there"


def test_ending_a_session_saves_summary_and_next_steps(web_url, web_data):
    alice = login(web_url, "alice")
    with pytest.raises(AppError, match="no session to end"):
        alice.predict("I will ask about her values.", [], api_name="/end_session")


def test_wrong_passwords_lock_an_account_until_an_admin_unlocks_it(web_url):
    import httpx

    from coach.storage.accounts import MAX_FAILED_LOGINS

    def attempt(password: str) -> httpx.Response:
        return httpx.post(web_url + "login", data={"username": "tom", "password": password})

    for _ in range(MAX_FAILED_LOGINS):
        assert attempt("not-toms-password").status_code == 400
    assert attempt(PASSWORD).status_code == 400  # locked: even the right password fails
    ada = login(web_url, "ada")
    rows = ada.predict(api_name="/users")["data"]
    assert "locked until" in next(r for r in rows if r[0] == "tom")[2]
    with pytest.raises(AppError, match="needs an admin account"):
        login(web_url, "sue").predict("tom", api_name="/unlock")
    rows, message = ada.predict("tom", api_name="/unlock")
    assert message == "'tom' can log in again."
    assert next(r for r in rows["data"] if r[0] == "tom")[2] == "active"
    ok = attempt(PASSWORD)
    assert ok.status_code == 200 and "access-token" in ok.headers["set-cookie"]


def test_admin_manages_accounts(web_url):
    ada = login(web_url, "ada")
    rows, message = ada.predict("carol", "trainee", api_name="/add_user")
    assert "Added trainee 'carol'" in message and "Password (shown once)" in message
    assert "carol" in [r[0] for r in rows["data"]]
    rows, _ = ada.predict("sue", "carol", api_name="/assign")
    assert next(r for r in rows["data"] if r[0] == "sue")[3] == "alice, carol"
    with pytest.raises(AppError, match="'bob' is a trainee, not a supervisor"):
        ada.predict("bob", "carol", api_name="/assign")
    with pytest.raises(AppError, match="needs a supervisor account"):
        ada.predict("(all)", "", "", "(all)", False, api_name="/sessions")


def _wait_for_streaming(job, seconds: float = 60) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not job.outputs() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert job.outputs(), "the reply never started streaming"


def test_stop_keeps_the_partial_reply_and_says_so(web_url, web_data):
    alice = login(web_url, "alice")
    job = alice.submit(
        "Tell me everything about reflections, in detail.", [], "skills", api_name="/chat"
    )
    _wait_for_streaming(job)
    alice.predict(api_name="/stop")
    history, _ = job.result()
    assert "You stopped this reply" in text_of(history[-1])
    with sqlite3.connect(web_data / "coach.db") as db:
        status, content = db.execute(
            "select status, content from messages where role = "
            "'supervisor' order by id desc limit 1"
        ).fetchone()
    assert status == "interrupted" and content.strip()


def test_a_second_send_while_streaming_is_refused(web_url, web_data):
    alice = login(web_url, "alice")
    before = db_count(web_data, "select count(*) from messages")
    first = alice.submit("How do I summarise a session?", [], "skills", api_name="/chat")
    _wait_for_streaming(first)
    history, box = alice.predict("How do I summarise a session?", [], "skills", api_name="/chat")
    assert history == [] and box == "How do I summarise a session?"  # refused, kept
    first.result()
    assert db_count(web_data, "select count(*) from messages") == before + 2  # one exchange


def test_a_crisis_message_escalates_and_the_supervisor_sees_the_flag(web_url, web_data):
    alice = login(web_url, "alice")
    history, _ = alice.predict(
        "I have been thinking about killing myself since the retreat.",
        [],
        "selfcare",
        api_name="/chat",
    )
    reply = text_of(history[-1])
    assert "clinical supervisor" in reply and "flagged for your supervisor" in reply
    sue = login(web_url, "sue")
    [row] = sue.predict("alice", "", "", "(all)", True, api_name="/sessions")["data"]
    assert row[LIST_FLAGGED] == "⚑ message 1: trainee risk to self"  # the reason, in the list
    page, _, _, _ = sue.predict(row[0], api_name="/review")
    assert "flagged: message 1: trainee risk to self" in page
    assert "raised: trainee risk to self" in page and "safety: trainee risk to self" in page
    assert "guard" in page
    assert (
        db_count(
            web_data,
            "select count(*) from messages where guidance_mode = 'guard' "
            "and flags like '%crisis_self%'",
        )
        == 1
    )


def test_a_trainee_practises_and_the_supervisor_reviews_it(web_url, web_data):
    """Last in this file: it adds a practice to alice's sessions."""
    alice = login(web_url, "alice")
    history, status, _ = alice.predict("maya-psilocybin-trial", api_name="/practice_start")
    assert history[0]["role"] == "assistant" and "Maya" in status
    history, box, feedback, state, _ = alice.predict(
        "It sounds like part of you wants to ring her and part of you is afraid.",
        history,
        api_name="/practice_say",
    )
    assert box == "" and len(history) == 3 and "Reflection" in feedback
    assert "reflections to questions" in feedback and "discord" in state
    hint = alice.predict(api_name="/practice_hint")
    assert hint.startswith("**Supervisor:** May I offer one idea for your next move?")
    assert "It sounds like" in hint or "Part of you" in hint  # built from the client's words
    with pytest.raises(AppError, match="needs a trainee account"):
        login(web_url, "sue").predict("maya-psilocybin-trial", api_name="/practice_start")
    history, status = alice.predict(history, api_name="/practice_end")
    assert "**Debrief**" in text_of(history[-1]) and "saved" in status
    with pytest.raises(AppError, match="Start a practice first"):
        alice.predict("Hello again.", history, api_name="/practice_say")

    (practice,) = alice.predict(api_name="/practices")["data"]
    assert practice[1] == "maya-psilocybin-trial" and practice[4] == "ended"
    assert practice[3] == 1  # the hint is kept, but is not a turn
    supervision = [r[0] for r in alice.predict(api_name="/my_sessions")["data"]]
    assert practice[0] not in supervision  # practices live in their own tab
    with pytest.raises(AppError, match="open it in the Practice tab"):
        alice.predict(practice[0], api_name="/open_session")

    sue = login(web_url, "sue")
    rows = sue.predict("alice", "", "", "(all)", False, api_name="/sessions")["data"]
    assert [r[3] for r in rows if r[0] == practice[0]] == ["practice: maya-psilocybin-trial"]
    page, _, _, _ = sue.predict(practice[0], api_name="/review")
    assert "with the simulated client maya-psilocybin-trial" in page
    assert "#2 Trainee" in page and "#3 Client" in page and "Debrief by the AI supervisor" in page
    assert "#4 Supervisor&#39;s hint" in page or "#4 Supervisor's hint" in page
    assert db_count(web_data, "select count(*) from messages where role = 'hint'") == 1
    # The simulated client's replies are rated, and any message commented on.
    page, _, _ = sue.predict(
        practice[0], "#3 client: x", "off_topic", "Not about the sister.", api_name="/rate"
    )
    assert "rated this reply <b>off topic</b>: Not about the sister." in page
    said = "#2 trainee: " + "It sounds like part of you wants to ring her and part of you"[:50]
    page, _ = sue.predict(practice[0], said, "Lovely double-sided one.", api_name="/comment")
    assert "Lovely double-sided one." in page
    assert db_count(web_data, "select count(*) from messages where client_state is not null") == 1
    plot = sue.predict("alice", api_name="/trend")
    assert "practice fidelity" in {row[1] for row in plot["data"]}


def test_health_answers_without_login_and_shows_no_details(web_url):
    with urllib.request.urlopen(web_url + "health", timeout=30) as response:
        assert response.status == 200
        body = json.loads(response.read())
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "index", "model", "coder", "guard"}
    assert all(c == {"ok": True} for c in body["checks"].values())
    # The app itself still needs a login.
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(web_url + "gradio_api/info", timeout=30)
