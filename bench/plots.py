"""The pictures, drawn with matplotlib's Agg backend from ``bench/results/*.json`` into ``bench/results/*.png``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

from .common import MARGIN, RATE, RESULTS  # noqa: E402

COLOURS = {"ours": "tab:green", "ours+poller": "tab:olive", "fixed-window": "tab:red", "leaky-bucket": "tab:blue"}
LABELS = {
    "ours": f"ours (sliding log, {MARGIN * 1000:.0f} ms margin)",
    "ours+poller": "ours + feed poller",
    "fixed-window": "fixed window (calendar seconds)",
    "leaky-bucket": "leaky bucket (aiolimiter 25/1 s)",
}


def throughput_png(data: dict[str, Any], path: Path = RESULTS / "throughput.png") -> Path:
    summary = data["summary"]
    kinds = [k for k in ("ours", "fixed-window", "leaky-bucket", "ours+poller") if k in summary]
    fig, axes = plt.subplots(len(kinds), 1, figsize=(10, 2.4 * len(kinds)), sharex=True, squeeze=False)
    longest = max(len(summary[k]["median_run_sent_per_second"]) for k in kinds)
    for ax, kind in zip(axes[:, 0], kinds, strict=True):
        sent = summary[kind]["median_run_sent_per_second"]
        accepted = summary[kind]["median_run_accepted_per_second"]
        xs = list(range(len(sent)))
        ax.step(xs, sent, where="post", color="0.6", linewidth=1.2, label="sent (incl. 429s)")
        ax.step(
            list(range(len(accepted))), accepted, where="post", color=COLOURS[kind], linewidth=1.8, label="accepted"
        )
        ax.axhline(RATE, color="black", linestyle="--", linewidth=1, label=f"limit {RATE}/s")
        s = summary[kind]
        ax.set_title(
            f"{LABELS[kind]}: {s['replies']} replies, {s['achieved_rps']:.1f}/s achieved, "
            f"{s['server_429s']:.0f} 429s (median of {s['runs']})",
            fontsize=9,
            loc="left",
        )
        ax.set_ylabel("requests / s")
        ax.set_ylim(0, max(max(sent, default=0), RATE) * 1.15 + 1)
        ax.set_xlim(0, longest)
        ax.grid(alpha=0.3)
    axes[0, 0].legend(loc="lower right", fontsize=8)
    axes[-1, 0].set_xlabel("seconds since the first request (1-second bins, as the fake Series received them)")
    fig.suptitle("Requests per second at the fake Series (sliding 25/s limit)", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def poll_cost_png(data: dict[str, Any], path: Path = RESULTS / "poll_cost.png") -> Path:
    rows = data["poll_cost"]["rows"]
    n = [r["active"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(n, [r["requests"] for r in rows], "o-", color="black", label="total requests per poll")
    ax.plot(n, [r["list_calls"] for r in rows], "s--", color="tab:blue", label="list calls")
    ax.plot(n, [r["detail_calls"] for r in rows], "^--", color="tab:orange", label="detail calls (1% changed)")
    for r in rows:
        ax.annotate(
            f"{r['requests']:,}\n≈{r['poll_s_at_25_per_s']:.1f} s at 25/s",
            (r["active"], r["requests"]),
            textcoords="offset points",
            xytext=(6, -22),
            fontsize=7,
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("active tickets (open + in-progress)")
    ax.set_ylabel("Series requests in one poll")
    ax.set_title("Poll cost against the number of active tickets (1% changed)", fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


GROWTH_GROUPS = (
    (
        "tickets: feed_tickets, cards, mirrored_messages, feed_pings",
        ("feed_tickets", "cards", "mirrored_messages", "feed_pings"),
        "tab:blue",
    ),
    ("replies (texts)", ("replies",), "tab:orange"),
    ("audit (kept a year)", ("audit",), "tab:red"),
)


def growth_png(data: dict[str, Any], path: Path = RESULTS / "growth.png") -> Path:
    years = data["years"]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    mib = 1024 * 1024
    top = max(t["page_count"] * t["page_size"] for y in years.values() for t in y["timeline"]) / mib
    for ax, (name, title) in zip(
        axes,
        (
            ("retention", f"DATA_RETENTION_DAYS={years['retention']['retention_days']} (pruned hourly)"),
            ("no_retention", "no retention (counterfactual)"),
        ),
        strict=True,
    ):
        timeline = years[name]["timeline"]
        days = [t["day"] for t in timeline]
        stacks, labels, colours = [], [], []
        for label, tables, colour in GROWTH_GROUPS:
            stacks.append([sum(t["bytes_by_table"].get(x, 0) for x in tables) / mib for t in timeline])
            labels.append(label)
            colours.append(colour)
        stacks.append(
            [(t["page_count"] * t["page_size"]) / mib - sum(s[i] for s in stacks) for i, t in enumerate(timeline)]
        )
        labels.append("everything else (schema, small tables, free pages)")
        colours.append("0.75")
        ax.stackplot(days, stacks, labels=labels, colors=colours, alpha=0.85)
        if name == "retention":
            ax.axvline(years[name]["retention_days"], color="black", linestyle="--", linewidth=1)
            ax.annotate(
                "first tickets pruned",
                (years[name]["retention_days"], top * 0.92),
                xytext=(4, 0),
                textcoords="offset points",
                fontsize=8,
            )
        final = timeline[-1]["page_count"] * timeline[-1]["page_size"] / mib
        ax.set_title(f"{title}: {final:.1f} MiB at day {timeline[-1]['day']:.0f}", fontsize=9, loc="left")
        ax.set_xlabel("simulated day")
        ax.set_xlim(0, max(days))
        ax.set_ylim(0, top * 1.05)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("database size (MiB)")
    axes[0].legend(loc="upper right", fontsize=7)
    fig.suptitle(
        f"The database while {data['tickets']:,} tickets pass through over {data['days']} simulated days",
        fontsize=11,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
