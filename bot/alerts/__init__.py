"""Alerts: who is told what. The pipeline feeds PBX events to the trackers, the router turns their
verdicts into outbox entries per chat, the renderer turns stored alerts into ru/en messages."""

from bot.alerts.batch import WriteBatch
from bot.alerts.causes import cause_words
from bot.alerts.followup import talk_clock
from bot.alerts.pipeline import EventPipeline
from bot.alerts.render import Renderer
from bot.alerts.resolve import FollowUps
from bot.alerts.router import AlertRouter, missed_key

__all__ = ["AlertRouter", "EventPipeline", "FollowUps", "Renderer", "WriteBatch", "cause_words", "missed_key",
           "talk_clock"]
