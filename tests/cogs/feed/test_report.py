"""/feed show's pages: whatever there is to say, every page fits Discord's limits (it is needed most when a lot is
wrong)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.render import EMBED_TOTAL_LIMIT
from cogs.feed.report import ROUTES_PER_PAGE, RouteLine, TicketTrouble, feed_pages
from tests.helpers import World, poll


def fits(embed) -> bool:
    return (
        len(embed) <= EMBED_TOTAL_LIMIT
        and len(embed.fields) <= 25
        and all(0 < len(f.value) <= 1024 and 0 < len(f.name) <= 256 for f in embed.fields)
        and len(embed.description or "") <= 4096
    )


def test_many_routes_and_problems_are_paged_and_summarised():
    routes = [RouteLine(f"Department {i} " + "x" * 200, 1000 + i, 7, ("p" * 500,) * 3) for i in range(30)]
    troubles = [TicketTrouble(f"TICKET-{i}-AB{i}", "I couldn't open its thread (cap reached)") for i in range(120)]
    troubles += [TicketTrouble(f"TICKET-9{i}-Z", f"Problem number {i} " + "y" * 300) for i in range(40)]
    pages = feed_pages(routes, troubles, poll_seconds=15)
    assert len(pages) == -(-30 // ROUTES_PER_PAGE)
    assert all(fits(page) for page in pages)
    first = pages[0]
    assert "30 routes" in first.description and "160 tickets waiting" in first.description
    [waiting] = [f for f in first.fields if f.name == "Tickets that can't be shown right now"]
    assert waiting.value.startswith("• 120 tickets: I couldn't open its thread") and "and 108 more" in waiting.value
    assert "other problems" in waiting.value  # the rest is summarised, not cut mid-word
    assert first.footer.text.startswith("Page 1 of 5")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.text(min_size=1, max_size=300), st.lists(st.text(max_size=400), max_size=4)), max_size=40),
    st.lists(st.tuples(st.text(min_size=1, max_size=60), st.text(min_size=1, max_size=600)), max_size=80),
)
def test_any_report_fits(routes, troubles):
    lines = [RouteLine(name, 1, None, tuple(problems)) for name, problems in routes]
    pages = feed_pages(lines, [TicketTrouble(t, p) for t, p in troubles], poll_seconds=15)
    assert pages and all(fits(page) for page in pages)


async def test_feed_show_pages_through_many_routes(routed: World):
    w = routed
    for i in range(20):
        await w.bot.services.feed.set_route(
            guild_id=w.guild.id, department=f"dept-{i:02d}", channel_id=w.channel.id, ping_role_id=None
        )
    await poll(w)
    shown = await w.admin.slash(w.channel, "feed show")
    assert shown.ephemeral and shown.response.embeds[0].footer.text.startswith("Page 1 of 4")
    nxt = await w.admin.click(shown.response, label="Next ▶")
    assert nxt.response.embeds[0].footer.text.startswith("Page 2 of 4")
