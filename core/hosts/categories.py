"""Host categories: on-task, neutral, distracting or excluded.

A rule's pattern is a host and matches its subdomains too (`youtube.com` covers
`m.youtube.com`). The most specific rule wins, and a user's own rule beats a default.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from core.db.models import Category

DEFAULT_HOST_RULES: Mapping[str, Category] = {
    # Usually distracting during deep work.
    **dict.fromkeys(
        [
            "youtube.com",
            "netflix.com",
            "twitch.tv",
            "tiktok.com",
            "instagram.com",
            "facebook.com",
            "x.com",
            "twitter.com",
            "reddit.com",
            "news.ycombinator.com",
            "9gag.com",
            "pinterest.com",
            "vk.com",
            "web.telegram.org",
            "web.whatsapp.com",
            "discord.com",
            "linkedin.com",
            "amazon.com",
            "ebay.com",
            "aliexpress.com",
        ],
        Category.distracting,
    ),
    # Usually tools of the work itself.
    **dict.fromkeys(
        [
            "github.com",
            "gitlab.com",
            "stackoverflow.com",
            "docs.python.org",
            "developer.mozilla.org",
            "docs.google.com",
            "notion.so",
            "overleaf.com",
            "localhost",
            "127.0.0.1",
            "readthedocs.io",
            "wikipedia.org",
            "scholar.google.com",
            "arxiv.org",
            "figma.com",
            "chatgpt.com",
            "claude.ai",
        ],
        Category.on_task,
    ),
    # Work and distraction both: neutral unless the user says otherwise.
    **dict.fromkeys(
        ["mail.google.com", "outlook.live.com", "calendar.google.com"], Category.neutral
    ),
}


def host_matches(host: str, pattern: str) -> bool:
    return host == pattern or host.endswith("." + pattern)


def categorize(
    host: str,
    user_rules: Mapping[str, Category],
    defaults: Mapping[str, Category] = DEFAULT_HOST_RULES,
) -> Category:
    for rules in (user_rules, defaults):
        best = _most_specific(host, rules.keys())
        if best is not None:
            return rules[best]
    return Category.neutral


def _most_specific(host: str, patterns: Iterable[str]) -> str | None:
    matching = [p for p in patterns if host_matches(host, p)]
    return max(matching, key=len) if matching else None
