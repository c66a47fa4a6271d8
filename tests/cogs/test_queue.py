"""/ticket list: the queue from what the feed keeps, urgent first, each line a tap from its card."""

from __future__ import annotations

from tests.helpers import STAFF_ROBLOX_ID, World, buttons, card_for, poll

AMY = 111111111


async def test_the_queue_puts_urgent_first_then_the_oldest_and_links_each_card(routed: World):
    w = routed
    await w.link(w.staff)
    old = w.fake.create_ticket(subject="Oldest question", priority="low")["TicketId"]
    w.fake.create_ticket(subject="Middle question")
    urgent = w.fake.create_ticket(subject="Harassment in the trade hub", priority="urgent")["TicketId"]
    await poll(w)
    result = await w.staff.slash(w.channel, "ticket list")
    assert result.ephemeral
    embed = result.response.embeds[0]
    assert embed.title == "The queue"
    subjects = [line.strip("*") for line in embed.description.split("\n") if line.startswith("**")]
    assert subjects == ["Harassment in the trade hub", "Oldest question", "Middle question"]
    assert "🔴 Urgent · [#" in embed.description
    [card] = card_for(w.channel, urgent)
    assert card.jump_url.split("/channels/")[1] in embed.description
    assert embed.footer.text == "3 open or in progress · page 1 of 1 · urgent first, then oldest"
    assert old


async def test_mine_nobodys_and_department(routed: World):
    w = routed
    await w.link(w.staff)
    mine = w.fake.create_ticket(subject="Mine")["TicketId"]
    theirs = w.fake.create_ticket(subject="Amy's")["TicketId"]
    w.fake.create_ticket(subject="Free one")
    w.fake.create_ticket(subject="A report", category="reports")
    w.fake.claim(mine, STAFF_ROBLOX_ID)
    w.fake.claim(theirs, AMY)
    await poll(w)

    def subjects(result) -> list[str]:
        text = result.response.embeds[0].description
        return [line.strip("*") for line in text.split("\n") if line.startswith("**")]

    assert subjects(await w.staff.slash(w.channel, "ticket list", show="mine")) == ["Mine"]
    assert subjects(await w.staff.slash(w.channel, "ticket list", show="unclaimed")) == ["Free one", "A report"]
    moderation = await w.staff.slash(w.channel, "ticket list", department="Moderation Department")
    assert subjects(moderation) == ["A report"]
    assert moderation.response.embeds[0].title == "The queue · Moderation Department"
    everything = (await w.staff.slash(w.channel, "ticket list")).response.embeds[0].description
    assert "· yours ·" in everything and "Amy" in everything


async def test_pages_keep_working_after_a_restart(routed: World, make_bot):
    w = routed
    await w.link(w.staff)
    for i in range(12):
        w.fake.create_ticket(subject=f"Question {i:02d}")
    await poll(w)
    first = await w.staff.slash(w.channel, "ticket list")
    assert buttons(first.response) == ["◀ Previous", "Next ▶"]
    await w.env.restart_bot(make_bot())
    await poll(w)
    second = await w.staff.click(first.response, label="Next ▶")
    assert "page 2 of 2" in second.response.embeds[0].footer.text
    assert second.response.embeds[0].description.count("**Question") == 2


async def test_the_queue_is_for_linked_staff(routed: World):
    w = routed
    w.fake.create_ticket(subject="Private words")
    await poll(w)
    refused = await w.player_fan.slash(w.channel, "ticket list")
    assert refused.ephemeral and refused.response.embeds == [] and "Private words" not in refused.response.content
