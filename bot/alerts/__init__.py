"""Alerts: who is told what. The pipeline feeds PBX events to the trackers, the router turns their
verdicts into outbox entries per chat, the renderer turns stored alerts into ru/en messages."""

from bot.alerts.batch import WriteBatch
from bot.alerts.causes import cause_words
from bot.alerts.pipeline import EventPipeline
from bot.alerts.render import Renderer
from bot.alerts.router import AlertRouter

__all__ = ["AlertRouter", "EventPipeline", "Renderer", "WriteBatch", "cause_words"]
