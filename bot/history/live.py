"""LedgerRouter: the alert router that also tells the ledger (and the settler) every verdict."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.alerts import AlertRouter
from bot.history.ledger import LiveLedger
from bot.tracking import CallUpdate


class LedgerRouter(AlertRouter):
    """Routes like :class:`bot.alerts.AlertRouter`, then records the call's live verdict;
    ``on_uncertain(started_s)`` is told of each uncertain verdict (the history will settle it)."""

    def __init__(
        self,
        store: Any,
        ledger: LiveLedger,
        *,
        on_uncertain: Callable[[float], None] | None = None,
        cache_ttl_s: float = 0.5,
    ) -> None:
        super().__init__(store, cache_ttl_s=cache_ttl_s)
        self.ledger, self.on_uncertain = ledger, on_uncertain

    async def on_call_update(self, update: CallUpdate, now: float) -> int:
        count = await super().on_call_update(update, now)
        if update.missed is None and not update.finished:
            return count  # only verdicts go to the ledger (most updates are legs ringing)
        call = self.ledger.observe(update, alerted=update.missed is not None)
        if call is not None and call.verdict == "uncertain" and self.on_uncertain is not None:
            self.on_uncertain(call.start_s)
        return count
