"""Transcripts: the whole conversation as a file, on demand and in the thread when a ticket is closed."""

from __future__ import annotations

import html
import re

from hypothesis import given
from hypothesis import strategies as st

from bot.transcript import transcript_html
from tests.helpers import STAFF_ROBLOX_ID, World, card_for, make_ticket, poll, thread_of


async def attachment_text(attachment) -> str:
    return (await attachment.read()).decode("utf-8")


async def test_ticket_transcript_sends_the_conversation_as_a_file(routed: World):
    w = routed
    await w.link(w.staff)
    tid = w.fake.create_ticket(subject="Refund <please>", message="I paid but got nothing: https://i.imgur.com/x.png")[
        "TicketId"
    ]
    w.fake.claim(tid, STAFF_ROBLOX_ID)
    await w.staff.slash(w.channel, "reply", ticket_id=tid, message="Sorry! Looking now.")
    w.fake.author_message(tid, "<script>alert(1)</script> thanks")
    result = await w.staff.slash(w.channel, "ticket transcript", ticket_id=tid)
    assert result.ephemeral and "3 messages" in result.response.content
    [attachment] = result.response.attachments
    assert attachment.filename == f"{tid}-transcript.html"
    page = await attachment_text(attachment)
    assert "<h1>Refund &lt;please&gt;</h1>" in page
    assert '<a href="https://i.imgur.com/x.png"' in page  # a pasted attachment opens from the file
    assert "Staff Member" in page and "Player Name" in page  # names, not ids
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert page.count("<time datetime=") >= 3


async def test_transcripts_are_for_linked_staff(routed: World):
    w = routed
    tid = w.fake.create_ticket()["TicketId"]
    refused = await w.player_fan.slash(w.channel, "ticket transcript", ticket_id=tid)
    assert refused.ephemeral and refused.response.attachments == []


async def test_closing_posts_the_transcript_in_the_thread_then_archives_it(routed: World, make_bot):
    w = routed
    await w.link(w.staff)
    tid = w.fake.create_ticket(subject="To close")["TicketId"]
    w.fake.claim(tid, STAFF_ROBLOX_ID)
    w.fake.author_message(tid, "one more thing")
    await poll(w)
    [card] = card_for(w.channel, tid)
    thread = thread_of(w, card)
    w.fake.set_status(tid, "closed")
    await poll(w)
    posted = [m for m in thread.history() if m.attachments]
    assert len(posted) == 1 and posted[0].attachments[0].filename == f"{tid}-transcript.html"
    assert "one more thing" in await attachment_text(posted[0].attachments[0])
    assert w.env.bot.get_channel(thread.id) is None or thread.channel.archived  # archived after it
    await w.env.restart_bot(make_bot())  # a restart, and polls after it, post nothing again
    await poll(w)
    await poll(w)
    assert len([m for m in thread.history() if m.attachments]) == 1


async def test_a_resolved_then_closed_ticket_still_gets_its_transcript(routed: World):
    """Closed from Discord after it was resolved: its thread is archived by then, and still gets the file. (A
    resolved ticket has left Series' active lists, so the poll doesn't see it closed on the website: see
    docs/series-api.md#polling-not-push.)"""
    w = routed
    await w.link(w.staff)
    tid = w.fake.create_ticket(subject="Resolved first")["TicketId"]
    w.fake.author_message(tid, "hi")
    await poll(w)
    thread = thread_of(w, card_for(w.channel, tid)[0])
    w.fake.set_status(tid, "resolved")
    await poll(w)  # the thread is archived
    closed = await w.staff.slash(w.channel, "ticket status", ticket_id=tid, status="closed")
    assert "Closed" in closed.response.content
    await w.env.settle()
    assert len([m for m in thread.history() if m.attachments]) == 1


@given(st.text(max_size=200))
def test_no_player_text_escapes_the_page(text):
    content = {"msj_1_a": {"Content": text, "Author": 1, "Type": "author_message", "Timestamp": "2025-01-01T00:00Z"}}
    page = transcript_html(make_ticket(Content=content, Subject=text), speakers={})
    body = page.split("<main>", 1)[1].split("</main>", 1)[0]
    # Whatever the text, the only tags in the conversation are the ones the page itself writes.
    tags = set(re.findall(r"<(/?[a-z0-9]+)", body))
    assert tags <= {"div", "/div", "span", "/span", "time", "/time", "a", "/a"}
    if "http" not in text.lower():
        assert f'<div class="text">{html.escape(text)}</div>' in body  # the words themselves, all of them
