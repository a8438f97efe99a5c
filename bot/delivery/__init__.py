"""Delivery: the durable outbox to the chats: at least once, deduplicated, in order per chat,
paced per platform, burst digests and quiet hours (the worker, its loop, plan and send steps)."""

from bot.delivery.replies import ReplyBudget, alert_limits
from bot.delivery.worker import DeliveryWorker

__all__ = ["DeliveryWorker", "ReplyBudget", "alert_limits"]
