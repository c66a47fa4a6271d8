"""A table of hostile and malformed inputs across every command, button and modal.

Invalid input gets a clear ephemeral message, makes no API call and stores nothing. Valid-but-hostile text
(right-to-left, combining marks, emoji, markdown, code fences, SQL, mentions) is delivered exactly as typed and
pings no one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
import simcord

from tests.helpers import STAFF_ROBLOX_ID, World, sent

BAD_TICKET_IDS = [
    "",
    "   ",
    "TICKET-",
    "TICKET-123",
    "hello",
    "../basic/check-key/x",
    "TICKET-1-A/../../config",
    "TICKET-1-A?page=2",
    "TICKET-1-A#frag",
    "TICKET-1-A%2F..",
    "TICKET-1-" + "A" * 300,
    "TICKET-١٢٣-ABC",
    "'; DROP TABLE replies; --",
    "@everyone",
]
BAD_ROBLOX_IDS = [
    ("0", "No Roblox user has the id 0"),
    ("-1", "is not a Roblox username, profile link or user id"),
    (str(2**53), "No Roblox user has the id"),
    ("99999999999999999999999", "No Roblox user has the id"),
    ("1.5", "is not a Roblox username"),
    ("1e3", "Roblox has no user `1e3`"),  # could be a username; Roblox says there is none
    ("12 34", "is not a Roblox username"),
    ("@everyone", "Roblox has no user `@everyone`"),
    ("https://evil.example/users/5", "Only roblox.com profile links"),
]
EMPTY_TEXTS = ["   ", "\u200b", "\u200b\u200c\u200d\ufeff", "\n\t\n", "\u2060 \u2060"]


@dataclass
class Case:
    who: str
    command: str
    options: dict = field(default_factory=dict)
    expect: str = ""


CASES: list[Case] = (
    [Case("staff", "reply", {"ticket_id": t, "message": "hi"}, "is not a ticket id") for t in BAD_TICKET_IDS]
    + [Case("staff", "ticket show", {"ticket_id": t}, "is not a ticket id") for t in BAD_TICKET_IDS[4:8]]
    + [Case("staff", "ticket claim", {"ticket_id": t}, "is not a ticket id") for t in BAD_TICKET_IDS[4:8]]
    + [
        Case("staff", "ticket unclaim", {"ticket_id": "../x"}, "is not a ticket id"),
        Case("staff", "ticket status", {"ticket_id": "x/y", "status": "closed"}, "is not a ticket id"),
        Case("staff", "ticket transfer", {"ticket_id": "?", "department": "support-dept"}, "is not a ticket id"),
        Case("staff", "ticket history", {"ticket_id": "#"}, "is not a ticket id"),
    ]
    + [Case("staff", "reply", {"ticket_id": "@T", "message": m}, "empty") for m in EMPTY_TEXTS]
    + [Case("admin", "staff link", {"member": "staff", "roblox": raw}, why) for raw, why in BAD_ROBLOX_IDS]
    + [
        Case("admin", "staff link", {"member": "bot", "roblox": "5"}, "is a bot"),
        Case("admin", "staff link", {"member": "departed", "roblox": "5"}, "isn't a member of this server"),
        Case("fan", "staff link", {"member": "staff", "roblox": "5"}, "Manage Server"),
        Case("fan", "staff unlink", {"member": "staff"}, "Manage Server"),
        Case("fan", "staff list", {}, "Manage Server"),
        Case("fan", "feed set", {"channel": "channel"}, "Manage Server"),
        Case("fan", "feed remove", {}, "Manage Server"),
        Case("admin", "feed set", {"channel": "channel", "department": "no-such-dept"}, "no department"),
        Case("staff", "ticket transfer", {"ticket_id": "@T", "department": "no-such-dept"}, "no department"),
        Case("staff", "ticket transfer", {"ticket_id": "@T", "department": "   "}, "Pick a department"),
        Case("fan", "reply", {"ticket_id": "@T", "message": "hello"}, "Ask a server admin"),
        Case("fan", "ticket claim", {"ticket_id": "@T"}, "Ask a server admin"),
    ]
)


def resolve(world: World, ticket: str, value):
    if value == "@T":
        return ticket
    if value == "staff":
        return world.staff
    if value == "channel":
        return world.channel
    return value


@pytest.fixture
async def ready(world: World):
    await world.link(world.staff)
    ticket = world.fake.create_ticket()["TicketId"]
    world.fake.claim(ticket, STAFF_ROBLOX_ID)
    await world.env.bot.services.workspace.config.get()  # so department names are known without a call
    return world, ticket


async def stored(world: World) -> tuple:
    bot = world.env.bot
    return (
        await bot.services.db.fetchall("SELECT * FROM staff_links"),
        await bot.services.db.fetchall("SELECT * FROM replies"),
        await bot.services.db.fetchall("SELECT * FROM feed_routes"),
        await bot.services.db.fetchall("SELECT * FROM audit"),
    )


def test_the_table_is_big_enough():
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.command}:{list(c.options.values())[:2]!r}"[:80])
async def test_invalid_input_is_refused_clearly(ready, case: Case):
    world, ticket = ready
    actor = {"staff": world.staff, "admin": world.admin, "fan": world.player_fan}[case.who]
    options = {k: resolve(world, ticket, v) for k, v in case.options.items()}
    if options.get("member") == "bot":
        options["member"] = world.guild.add_member(world.env.create_user("robot", bot=True))
    if options.get("member") == "departed":
        options["member"] = world.player_fan.user  # Discord sends only a user for someone who left
    if case.command.split()[0] in ("staff", "feed") and actor is not world.admin:
        await world.allow(case.command.split()[0], actor)  # shown to them by an admin's override; refused anyway
    before_requests = len(world.fake.requests)
    before = await stored(world)
    result = await actor.slash(world.channel, case.command, **options)
    assert result.ephemeral
    text = result.response.content
    assert case.expect in text, text
    assert len(world.fake.requests) == before_requests, "no API call for invalid input"
    assert await stored(world) == before, "nothing stored for invalid input"


VALID_HOSTILE = [
    "مرحبا بك \u202eright-to-left override",
    "Z̴̡̛a̶͓͝l̷̢͂g̵̱̈́o combining marks",
    "👍🏽👨‍👩‍👧 emoji and ZWJ sequences",
    "**bold** __under__ ~~strike~~ [masked](https://example.com) <https://x.y>",
    "```py\nprint('fence')\n```",
    "'); DROP TABLE staff_links; -- and SELECT * FROM replies",
    "@everyone @here <@&123> <@456> <#789>",
    "x" * 4000,
]


@pytest.mark.parametrize("text", VALID_HOSTILE, ids=lambda t: t[:20])
async def test_valid_hostile_text_is_sent_exactly_and_pings_no_one(ready, text):
    world, ticket = ready
    result = await world.staff.slash(world.channel, "reply", ticket_id=ticket, message=text)
    assert result.ephemeral and sent(result.response.content)
    delivered = [m["Content"] for _, m in world.fake.messages(ticket) if m["Type"] == "staff_message"]
    assert delivered == [text.strip()]
    assert await world.env.bot.services.links.list(guild_id=world.guild.id)  # the SQL-looking text changed nothing
    for request in world.env.http_requests:
        body = request.json if isinstance(request.json, dict) else {}
        allowed = body.get("allowed_mentions") or (body.get("data") or {}).get("allowed_mentions")
        if allowed:
            assert allowed.get("parse") == []


async def test_one_character_over_the_limit_is_refused(ready):
    world, ticket = ready
    with pytest.raises(simcord.SetupError, match="4000"):  # Discord's client enforces max_length=4000
        await world.staff.slash(world.channel, "reply", ticket_id=ticket, message="x" * 4001)
    shown = await world.staff.slash(world.channel, "ticket show", ticket_id=ticket)
    modal = await world.staff.click(shown.response, label="Reply")
    with pytest.raises(simcord.SetupError, match="4000"):
        await world.staff.submit_modal(modal, {"reply_text": "x" * 4001})


@pytest.mark.parametrize("text", EMPTY_TEXTS[1:4])
async def test_modal_with_invisible_text_is_refused(ready, text):
    world, ticket = ready
    shown = await world.staff.slash(world.channel, "ticket show", ticket_id=ticket)
    modal = await world.staff.click(shown.response, label="Reply")
    before = len(world.fake.requests)
    done = await world.staff.submit_modal(modal, {"reply_text": text})
    assert done.ephemeral and "empty" in done.response.content
    assert len(world.fake.requests) == before
