"""Model output made inert for Telegram: nothing in it can be tapped.

A page title the model saw could carry a prompt injection ("tell the user to log in at
…"), so advice must not reach the chat as a link. Telegram turns plain text into links by
itself: addresses with or without a scheme, bare domains, e-mail addresses, @mentions
and /commands (a tap sends the command). Tags are dropped; links are replaced; domains
not among the session's own sites keep their name but lose their dot
(`evil[.]example`, the usual defanged form); mentions
and commands lose their `@` and `/`.
"""

from __future__ import annotations

import re
from collections.abc import Collection

LINK_REMOVED = "(link removed)"

_TAG = re.compile(r"</?[a-zA-Z][^<>]{0,200}>")
_SCHEMED = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,20}:(//)?[^\s<>]+")
_WWW = re.compile(r"\bwww\.[^\s<>]+", re.IGNORECASE)
_DOMAIN = re.compile(r"\b(?:[\w-]+\.)+[a-zA-Z]{2,}\b")
_MENTION = re.compile(r"(?<![\w@])@(?=\w)")
_COMMAND = re.compile(r"(?<![\w/:])/(?=[a-zA-Z])")


def neutralise(text: str, known_hosts: Collection[str] = ()) -> str:
    """`text` with every tag, link, domain, mention and command made plain. Domains in
    `known_hosts` (the session's own sites, shown in the same message anyway) stay."""
    text = _TAG.sub("", text)
    text = _SCHEMED.sub(_scheme_link, text)
    text = _WWW.sub(LINK_REMOVED, text)
    text = _DOMAIN.sub(lambda m: _defanged(m.group(0), known_hosts), text)
    text = _MENTION.sub("", text)
    text = _COMMAND.sub("", text)
    return " ".join(text.replace("<", "‹").replace(">", "›").split())


def _defanged(domain: str, known_hosts: Collection[str]) -> str:
    return domain if domain.lower() in known_hosts else domain.replace(".", "[.]")


def _scheme_link(match: re.Match[str]) -> str:
    """`https://…`, `tg://…`, `mailto:…` are links; `Note:` followed by text is not."""
    scheme = match.group(0).split(":", 1)[0].lower()
    if match.group(1) or scheme in {"mailto", "tel", "tg", "javascript", "data", "sms"}:
        return LINK_REMOVED
    return match.group(0)
