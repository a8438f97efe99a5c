"""The composition root: builds every part from settings and runs them together.

Strategy: PBX events flow client -> EventPipeline (trackers, router) -> store outbox ->
DeliveryWorker -> chat senders; chat input flows adapter -> CommandService -> PBX. This module is
the only one in ``bot/`` that knows the concrete adapters and the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import Callable
from typing import Any

from adapters.charts import MatplotlibCharts
from adapters.pbx.combined import CombinedPbx
from adapters.pbx.http import HttpPbx
from adapters.pbx.v2.client import LinkState, PbxClient
from adapters.pbx.v3.client import SocketClient
from bot.alerts import AlertRouter, EventPipeline, FollowUps, Renderer, WriteBatch
from bot.backoff import Backoff
from bot.cli import pbx_choice
from bot.cli.timed import TimedCore
from bot.commands import CommandService
from bot.config import Settings
from bot.delivery import DeliveryWorker
from bot.errors import BotError
from bot.events import PbxEvent
from bot.history import HistorySettler, LedgerRouter, LiveLedger
from bot.logsetup import Redactor
from bot.ports import ChatCore, ChatSender, Store
from bot.reports import Reporter, ReportScheduler
from bot.supervise import Supervisor
from bot.tracking import CallTracker, LinkChange, Presence, RegistrationTracker

logger = logging.getLogger(__name__)

#: events read from the PBX but not yet through the pipeline; a full queue back-pressures the
#: link. The queue keeps the socket reader free for heartbeats and command callbacks while the
#: pipeline waits for the database.
EVENT_QUEUE_SIZE = 10_000
#: at most this many queued events go through the pipeline as one batch (one transaction)
EVENT_BATCH_MAX = 1_000
DRAIN_TIMEOUT_S = 2.5
#: retention runs from the tick loop: first a minute after start, then hourly (monotonic time)
PRUNE_FIRST_S = 60.0
PRUNE_EVERY_S = 3600.0
#: how long a finished 3.0 call waits for the PBX's call_end verdict before the legs decide
CALL_END_WAIT_S = 10.0
REPORT_EVERY_S = 60.0  # how often the daily-report schedule is looked at
__all__ = ["Application", "TimedCore", "freeze_startup_heap"]


_heap_frozen: set[bool] = set()  # non-empty once freeze_startup_heap() ran in this process


def freeze_startup_heap() -> None:
    """Once per process, after the first start: collect, then move every object alive now
    (modules, the chat SDKs' models, settings) out of the cyclic collector's passes. With aiogram
    loaded that is ~200,000 objects that every full collection walked again; in a 500k-event
    soak the collector's time fell from 3.9 s to 1.0 s (#14)."""
    if not _heap_frozen:
        _heap_frozen.add(True)
        gc.collect()
        gc.freeze()


class Application:
    """One bot process: the PBX link, the event pipeline, the outbox worker, chat adapters."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        clock: Callable[[], float] = time.time,
        chat_adapters: bool = True,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        #: every long-running task runs under it (bot/supervise.py); /healthz lists them
        self.supervisor = Supervisor(redact=Redactor(settings.secrets()))
        self.link_state = LinkState.DISCONNECTED
        self.tracker = CallTracker(ttl_s=settings.bot_call_ttl_s, clock=clock, country=settings.bot_country,
                                   call_end_wait_s=CALL_END_WAIT_S)
        self.registrations = RegistrationTracker(
            grace_s=settings.bot_reg_grace_s, flap_window_s=settings.bot_flap_window_s, clock=clock,
            flap_changes=settings.bot_flap_changes,
        )
        self.presence = Presence(self.registrations)
        self.ledger = LiveLedger(settings.bot_country)
        self.settler: HistorySettler | None = None
        self.batch = WriteBatch(store)  # the event path's group commit (bot/alerts/batch.py)
        self.router: AlertRouter = LedgerRouter(self.batch.store, self.ledger, on_uncertain=self._uncertain)
        self._names: dict[str, str] = {}  # extension -> its owner's name, from user lists
        #: follow-ups write through the batch: a finished call's row joins its batch's transaction
        self.followups = FollowUps(self.batch.store, country=settings.bot_country,
                                   window_h=settings.bot_resolve_window_h, names=self.extension_name)
        self.worker = DeliveryWorker(store, {}, Renderer(settings.bot_country), clock=clock,
                                     health=self.supervisor.watch("delivery"))
        self.pipeline = EventPipeline(
            store,
            tracker=self.tracker,
            registrations=self.registrations,
            presence=self.presence,
            router=self.router,
            clock=clock,
            on_alert=self.worker.wake,
            on_enqueued=self.worker.offer,  # the short path: committed alerts, not read back
            followups=self.followups,
            batch=self.batch,
        )
        self.http_pbx = HttpPbx(settings.onpbx_http_url, settings.onpbx_domain,
                                settings.onpbx_key.get_secret_value(), timeout=settings.onpbx_command_timeout,
                                max_bytes=int(settings.onpbx_http_max_mb * 1024 * 1024))
        if settings.onpbx_history == "on":
            self.settler = HistorySettler(
                self.http_pbx, store, self.router, self.ledger, country=settings.bot_country,
                max_age_s=settings.bot_backfill_max_h * 3600.0, clock=clock, on_alert=self.worker.wake,
                on_settled=self.followups.settled)
        #: "2" or "3"; in auto mode without ONPBX_URL, provisional until start() has chosen
        self.api = pbx_choice.explicit(settings) or "3"
        self.pbx: PbxClient | SocketClient = self._pbx_link(self.api, self._queue_event)
        #: commands: the socket where its API has them, HTTP for the rest (API 3.0: click-to-call,
        #: users, trunks) and for click-to-call while the socket is down; names for /who from HTTP
        self.pbx_api = CombinedPbx(self.pbx, self.http_pbx, lambda: self.pbx.connected)
        #: reports: the call history is the authority for the numbers when it is on
        history = self.http_pbx if settings.onpbx_history == "on" else None
        self.reporter = Reporter(store, settings.bot_country, charts=MatplotlibCharts(), history=history)
        self.reports = ReportScheduler(store, self.reporter, on_queued=self.worker.wake)
        self.next_report_at = 0.0
        self.commands = CommandService(
            store=store,
            pbx=self.pbx_api,
            calls=self.tracker,
            presence=self.presence,
            settings=settings,
            clock=clock,
            history=self.http_pbx,
            followups=self.followups,
            reporter=self.reporter,
        )
        self.health: Any = None
        if settings.bot_http_port is not None:
            self.health = self._health_server(settings.bot_http_port)
        self.core: ChatCore = TimedCore(self.commands, self._observe_command)
        self.adapters: list[Any] = self._chat_adapters() if chat_adapters else []
        self._tasks: list[asyncio.Task[Any]] = []
        self._events: asyncio.Queue[PbxEvent | LinkChange] = asyncio.Queue(EVENT_QUEUE_SIZE)
        self.next_prune_at = time.monotonic() + PRUNE_FIRST_S

    def _pbx_link(
        self, api: str, on_event: Callable[[PbxEvent], Any], probe: bool = False
    ) -> PbxClient | SocketClient:
        """The socket client of ``api`` ("2" or "3"), built from the settings (a ``probe`` leaves
        the app's link state alone)."""
        on_state = None if probe else self._on_link_state
        s = self.settings
        key, url = s.onpbx_key.get_secret_value(), pbx_choice.url_of(s, api)
        if api == "3":
            return SocketClient(url, key, domain=s.onpbx_domain, events=s.event_groups, on_event=on_event,
                                on_state=on_state, command_timeout=s.onpbx_command_timeout,
                                max_frame=s.onpbx_max_frame)
        return PbxClient(url, s.onpbx_domain, key, events=s.event_groups, on_event=on_event,
                         on_state=on_state, command_timeout=s.onpbx_command_timeout,
                         max_frame=s.onpbx_max_frame)

    async def _choose_api(self) -> None:
        """Auto mode: settle the API (remembered or probed) and swap the link if it differs."""
        def probe_link(api: str) -> pbx_choice.Link:
            return self._pbx_link(api, pbx_choice.ignore_event, probe=True)

        api = await pbx_choice.choose(self.settings, self.store, probe_link)
        if api != self.api:
            self.api = api
            self.pbx = self._pbx_link(api, self._queue_event)
            self.pbx_api.socket = self.pbx
        logger.info("PBX: WebSockets API %s.0 at %s", api, pbx_choice.url_of(self.settings, api))

    def extension_name(self, ext: str) -> str:
        """The extension's name from presence, else from the last user list that named it (a
        phone that is offline now keeps its owner's name); "" when unknown."""
        state = self.presence.extension_states().get(ext)
        return (state.name if state is not None else "") or self._names.get(ext, "")

    def _chat_adapters(self) -> list[Any]:
        adapters: list[Any] = []
        s = self.settings
        if s.telegram_bot_token.get_secret_value():
            from adapters.telegram import TelegramAdapter

            adapters.append(TelegramAdapter(s, self.core, supervisor=self.supervisor))
        if s.slack_bot_token.get_secret_value():  # half configured: SlackAdapter says what is missing
            from adapters.slack import SlackAdapter

            adapters.append(SlackAdapter(s, self.core, supervisor=self.supervisor))
        for adapter in adapters:
            self.worker.add_sender(adapter.sender)
        return adapters

    def _health_server(self, port: int) -> Any:
        from adapters.http.server import HealthServer, Probe

        probe = Probe(
            link_state=lambda: self.link_state.name.lower(),
            outbox_depth=self.store.outbox_depth,
            counters=self.counters,
            history=self.settler.status if self.settler is not None else None,
            tasks=self.supervisor.status,
            task_failures=self.supervisor.failures,
        )
        return HealthServer(probe, port=port)

    def _observe_command(self, name: str, seconds: float) -> None:
        if self.health is not None:
            self.health.command_latency.labels(command=name).observe(seconds)

    def counters(self) -> dict[str, tuple[str, float]]:
        """Live counters for ``/metrics`` (exported as ``onpbx_<name>_total``)."""
        return {
            "events_in": ("PBX events received", float(self.pbx.events_in)),
            "malformed_events": ("PBX events dropped as malformed", float(self.pbx.malformed_events)),
            "protocol_errors": ("PBX frames skipped as undecodable", float(self.pbx.protocol_errors)),
            "reconnects": ("PBX link reconnects", float(self.pbx.reconnects)),
            "gateway_events": ("PBX gateway-group events (API 3.0)",
                               float(getattr(self.pbx, "gateway_events", 0))),
            "alerts_delivered": ("Outbox entries delivered", float(self.worker.delivered)),
            "delivery_failures": ("Failed delivery attempts", float(self.worker.failed_attempts)),
            "digests": ("Digest messages sent", float(self.worker.digests)),
            "history_malformed": ("Call-history records skipped as malformed",
                                  float(self.http_pbx.malformed_records)),
            "history_alerts": ("Alerts queued from the call history",
                               float(self.settler.alerts + self.settler.digests if self.settler else 0)),
        }

    def add_sender(self, sender: ChatSender) -> None:
        self.worker.add_sender(sender)

    def _on_link_state(self, state: LinkState) -> None:
        was_up, self.link_state = self.link_state == LinkState.CONNECTED, state
        if was_up != (state == LinkState.CONNECTED):  # a gap starts or ends: in order with events
            try:
                self._events.put_nowait(LinkChange(up=not was_up))
            except asyncio.QueueFull:
                self._spawn(self._events.put(LinkChange(up=not was_up)), "link change")
        if state == LinkState.CONNECTED:
            self._spawn(self._seed_users(), "seed users")
        if self.settler is not None:
            # every reconnect: the call history settles what the link lost
            (self.settler.link_up if state == LinkState.CONNECTED else self.settler.link_down)()

    def _uncertain(self, started_s: float) -> None:
        if self.settler is not None:
            self.settler.uncertain(started_s)

    async def _seed_users(self) -> None:
        """The phone list after a (re)connect, retried with backoff while the link stays up: the
        socket's own ``user_list`` (API 2.0: registered SIP users), names filled in over HTTP.
        API 3.0 has none: the HTTP API's user/get.json lists configured extensions, not
        registrations, so there registration events alone tell who is online (and nothing waits
        for a phone list)."""
        if "user_list" not in self.pbx.capabilities:
            await self._learn_names()
            return
        self.pipeline.begin_seed()
        backoff = Backoff(base=1.0, cap=60.0)
        while True:
            try:
                users = await self.pbx_api.user_list()
                break
            except BotError as exc:
                if self.link_state != LinkState.CONNECTED:
                    return  # the next connect seeds again
                delay = backoff.next_delay()
                logger.warning("user_list after connect failed, retrying in %.0f s: %s", delay, exc)
                await asyncio.sleep(delay)
        self._names.update((u.uid, u.name) for u in users if u.name)
        await self.pipeline.seed_users(users)
        logger.info("PBX reports %d registered extension(s)", len(users))

    async def _learn_names(self) -> None:
        """API 3.0: who owns which extension, from the HTTP API's user list (names only: it says
        nothing about registrations), for alerts such as "Called back by 201 (Anna Smirnova)"."""
        if "user_list" not in self.pbx_api.capabilities:
            return
        try:
            users = await self.pbx_api.user_list()
        except BotError as exc:
            logger.info("extension names not read: %s", exc)
            return
        self._names.update((u.uid, u.name) for u in users if u.name)

    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self._tasks.append(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        with contextlib.suppress(ValueError):
            self._tasks.remove(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("background task %s died: %r", task.get_name(), task.exception())

    async def _queue_event(self, event: PbxEvent) -> None:
        await self._events.put(event)

    async def _consume_events(self) -> None:
        """Group commit: whatever is queued (up to EVENT_BATCH_MAX) is one pipeline batch."""
        while True:
            batch = [await self._events.get()]
            while len(batch) < EVENT_BATCH_MAX and not self._events.empty():
                batch.append(self._events.get_nowait())
            try:
                await self.pipeline.handle_many(batch)
                if self.settler is not None and self.link_state == LinkState.CONNECTED:
                    self.settler.saw_event(self.clock())  # the view of calls is complete up to now
            finally:
                for _ in batch:
                    self._events.task_done()

    async def events_processed(self) -> None:
        """Wait until every PBX event read so far has gone through the pipeline."""
        await self._events.join()

    async def _drain_events(self) -> None:
        """After the link closed: let the pipeline finish what was already read."""
        if self._events.empty():
            return
        try:
            await asyncio.wait_for(self._events.join(), DRAIN_TIMEOUT_S)
        except TimeoutError:
            logger.warning("stopped with %d PBX event(s) not processed", self._events.qsize())

    async def _tick_loop(self) -> None:
        """Every second: pending alerts, stale calls, registration expiry; retention hourly."""
        while True:
            await asyncio.sleep(1.0)
            try:
                await self.pipeline.tick()
            except BotError as exc:
                logger.warning("periodic tick failed: %s", exc)
            await self.prune_if_due(time.monotonic())
            await self._persist_watermark()

    async def _report_loop(self) -> None:
        """The daily reports, a task of their own: a slow or failing history delays no tick."""
        while True:
            await asyncio.sleep(1.0)
            await self.report_if_due(time.monotonic())

    def _history_failing(self) -> str | None:
        """The settler retries on its own: its word for /healthz while the history fails."""
        settler = self.settler
        return settler.last_error or "failing" if settler is not None and settler.state == "failing" else None

    async def _persist_watermark(self) -> None:
        """Store the call-history watermark (a no-op when it did not move)."""
        if self.settler is None:
            return
        try:
            await self.settler.persist()
        except BotError as exc:
            logger.warning("history watermark not stored: %s", exc)

    async def report_if_due(self, now: float) -> int:
        """Daily reports, looked at once a minute (monotonic ``now``); failures wait a minute."""
        if now < self.next_report_at:
            return 0
        self.next_report_at = now + REPORT_EVERY_S
        try:
            return await self.reports.tick(self.clock())
        except BotError as exc:
            logger.warning("daily reports not checked: %s", exc)
            return 0

    async def prune_if_due(self, now: float) -> bool:
        """Prune when monotonic ``now`` reached :attr:`next_prune_at`; schedules the next run."""
        if now < self.next_prune_at:
            return False
        self.next_prune_at = now + PRUNE_EVERY_S
        await self.prune()
        return True

    async def prune(self) -> tuple[int, int] | None:
        """Delete done outbox rows, stale tracked calls and audit older than BOT_RETENTION_DAYS
        (one cut for all three); a storage failure is logged and retried at the next run."""
        cut = self.clock() - self.settings.bot_retention_days * 86400.0
        try:
            counts = await self.store.prune(delivered_before=cut, audit_before=cut)
        except BotError as exc:
            logger.warning("retention prune failed, retrying in an hour: %s", exc)
            return None
        if any(counts):
            logger.info("retention: pruned %d outbox row(s) and %d audit row(s)", *counts)
        return counts

    async def start(self) -> None:
        """Restore tracked calls, then start the link, the worker, the ticker and the adapters.
        Restored calls lived through the bot's own downtime: a gap until the link connects."""
        await self.pipeline.restore()
        await self.pipeline.handle(LinkChange(up=False))
        if pbx_choice.explicit(self.settings) is None:
            await self._choose_api()
        sup = self.supervisor
        if self.settler is not None:
            await self.settler.start()
            sup.spawn("history", self.settler.run, probe=self._history_failing)
        if self.health is not None:
            await self.health.start()
        sup.spawn("events", self._consume_events)
        sup.spawn("pbx_link", self.pbx.run)
        sup.spawn("delivery", self.worker.run)
        sup.spawn("tick", self._tick_loop)
        sup.spawn("reports", self._report_loop)
        for adapter in self.adapters:
            await adapter.start()
        freeze_startup_heap()

    async def stop(self) -> None:
        """Stop within 10 s: close the link, finish the events already read, stop delivery and
        the chat adapters. The outbox keeps whatever was not sent."""
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.pbx.close(), 1.5)
        await self._drain_events()
        await self._persist_watermark()
        with contextlib.suppress(Exception):
            await self.http_pbx.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.worker.stop(), 1.5)
        stops = [asyncio.wait_for(a.stop(), 3.0) for a in self.adapters]
        for result in await asyncio.gather(*stops, return_exceptions=True):
            if isinstance(result, BaseException):
                logger.warning("a chat adapter did not stop cleanly: %r", result)
        if self.health is not None:
            await self.health.stop()
        await self.supervisor.stop()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=1.0)
