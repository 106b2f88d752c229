"""The chat page in a real headless browser, with a server restart between turns.

Playwright drives the system's Chromium (found on PATH, never downloaded). Without
Chromium the test is skipped locally and fails under CI=true, which installs it.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from chat_server import Server

REPLY = "(turn {n}) You said: {text} (say bye to finish)"


def history(page: Page) -> list[str]:
    """Each message as shown: who said it (its label), then the text."""
    rows: list[str] = page.locator("#history li").evaluate_all(
        "items => items.map(li => li.querySelector('.role').textContent + ' '"
        " + li.lastChild.textContent)"
    )
    return rows


def send(page: Page, text: str) -> None:
    page.fill("#text", text)
    page.click("#send")


def test_a_conversation_survives_a_server_restart(browser: Browser, tmp_path: Path) -> None:
    env = {"CHAT_DB": str(tmp_path / "chat.db")}
    server = Server(env, tmp_path / "server.log")
    page = browser.new_page()
    page.set_default_timeout(10_000)
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(server.url) else outside.append(r.url))
    try:
        page.goto(server.url + "/")
        expect(page.locator("#status")).to_have_text("Say something to start a conversation.")
        expect(page.locator("#question")).to_be_hidden()

        # Turn 1 starts the conversation; the run pauses with the assistant's question.
        send(page, "Hello!")
        expect(page.locator("#history li")).to_have_count(2)
        assert history(page) == ["You Hello!", "Assistant " + REPLY.format(n=1, text="Hello!")]
        expect(page.locator("#prompt")).to_have_text(REPLY.format(n=1, text="Hello!"))
        expect(page.locator("#question-key")).to_have_text("user_input")
        expect(page.locator("#status")).to_have_text("Paused: waiting for your answer.")
        workflow_id = page.locator("#title").inner_text()
        assert workflow_id.startswith("chat-") and page.url.endswith("#" + workflow_id)
        expect(page.locator("#conversations a")).to_have_count(1)

        # Turn 2 answers the pending question.
        send(page, "Tell me more")
        expect(page.locator("#history li")).to_have_count(4)
        expect(page.locator("#prompt")).to_have_text(REPLY.format(n=2, text="Tell me more"))

        # The server dies between turns; a new process on the same port and database.
        port = server.port
        server.kill()
        server = Server(env, tmp_path / "server.log", port=port)

        # Turn 3 on the open page goes to the new process and continues the conversation.
        send(page, "Still there?")
        expect(page.locator("#history li")).to_have_count(6)
        assert history(page)[-1] == "Assistant " + REPLY.format(n=3, text="Still there?")

        # A second conversation, then back to the first one from the list.
        page.click("#new-conversation")
        expect(page.locator("#history li")).to_have_count(0)
        send(page, "Another chat")
        expect(page.locator("#conversations a")).to_have_count(2)
        page.locator("#conversations a", has_text="Hello!").click()
        expect(page.locator("#title")).to_have_text(workflow_id)
        expect(page.locator("#history li")).to_have_count(6)

        # Saying bye ends it: no pending question, no composer, "completed" in the list.
        send(page, "bye")
        expect(page.locator("#status")).to_have_text("This conversation has ended.")
        expect(page.locator("#question")).to_be_hidden()
        expect(page.locator("#composer")).to_be_hidden()
        expect(page.locator("#conversations a", has_text="Hello!")).to_contain_text("completed")

        # A reload rebuilds everything from the server's store.
        page.reload()
        expect(page.locator("#history li")).to_have_count(8)
        assert history(page)[0] == "You Hello!"
        assert history(page)[-1] == "Assistant Goodbye! This conversation is closed."
        assert outside == []  # the page loaded nothing from another host
    finally:
        page.close()
        server.stop()
