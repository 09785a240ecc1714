"""Grading a reviewed session: one `Analyser` interface, a `local` and an `openai` analyser.

`base` holds the interface, `local` and `rules` the offline analyser, `prompt` and
`openai_analyser` the AI one, and `store` the analyses table the job works through.
"""

from __future__ import annotations

from core.analysis.base import Analyser, AnalysisInput, Verdict
from core.db.models import User
from core.settings import AIProvider, AISettings

__all__ = ["Analyser", "AnalysisInput", "Verdict", "uses_ai"]


def uses_ai(user: User, settings: AISettings) -> bool:
    """The AI grades a session when the server has one configured and the user allows it."""
    return settings.provider is AIProvider.openai and user.ai_enabled
