"""Intent-aware categories: the user's host rules, then the declared goal, then the defaults.

A user's own rule always wins: they said what a host is to them. Next, a host or title
that names one of the goal's words is on-task ("learn react on youtube" makes
youtube.com on-task for that session). Last come the default rules, else neutral.
Titles are consulted only when the user has title tracking on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache

from core.db.models import Category
from core.hosts.categories import categorize, host_matches
from core.metrics.compute import Classify

WORD = re.compile(r"[^\W_]{4,}")
_COMMON = """
    about after again also before being between both could does doing down during each
    from have having here into just more most much only other over same some such than
    that their them then there these they this those through under until very what when
    where which while will with would your yours make finish start work working write
    writing read reading study learn learning review plan draft thing things today
"""
STOP_WORDS = frozenset(_COMMON.split())


def _normal(word: str) -> str:
    return word[:-1] if len(word) > 4 and word.endswith("s") else word


@cache
def goal_words(goal: str) -> frozenset[str]:
    """The distinctive words of a goal: four letters or more, minus common verbs and fillers."""
    return frozenset(_normal(w) for w in WORD.findall(goal.lower()) if w not in STOP_WORDS)


def _words(text: str) -> set[str]:
    return {_normal(w) for w in WORD.findall(text.lower())}


def classifier(
    *,
    goal: str,
    user_rules: Mapping[str, Category],
    default_rules: Mapping[str, Category],
    use_titles: bool,
) -> Classify:
    """A memoised `classify(host, title)` for one session."""
    wanted = goal_words(goal)
    seen: dict[tuple[str, str | None], Category] = {}

    def classify(host: str, title: str | None) -> Category:
        key = (host, title if use_titles else None)
        found = seen.get(key)
        if found is None:
            found = seen[key] = _categorize(host, key[1])
        return found

    def _categorize(host: str, title: str | None) -> Category:
        if any(host_matches(host, pattern) for pattern in user_rules):
            return categorize(host, user_rules, {})
        labels = {_normal(label) for label in host.split(".")}
        if wanted & labels or (title and wanted & _words(title)):
            return Category.on_task
        return categorize(host, {}, default_rules)

    return classify
