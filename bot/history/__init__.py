"""History: the PBX's call history settles what the bot missed during gaps (restarts, reconnects)
and calls whose live verdict was uncertain. ``reconcile`` decides (pure), ``settler`` applies."""

from bot.history.ledger import LiveCall, LiveLedger
from bot.history.live import LedgerRouter
from bot.history.reconcile import MATCH_WINDOW_S, Settlement, missed_from, settle
from bot.history.settler import WATERMARK_KEY, HistorySettler

__all__ = [
    "MATCH_WINDOW_S", "WATERMARK_KEY", "HistorySettler", "LedgerRouter", "LiveCall", "LiveLedger",
    "Settlement", "missed_from", "settle",
]  # fmt: skip
