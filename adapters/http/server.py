"""``/healthz`` (JSON: PBX link state, outbox depth, each supervised task) and ``/metrics``.

Strategy: the app hands in a :class:`Probe` that reads live values at scrape time; counters are
exported through a custom collector, command latency through a histogram the app observes. The
bot is ``degraded`` (HTTP 503) while the PBX link is down or any supervised task is failing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)


@dataclass
class Probe:
    """Live readings. ``counters``: name -> (help, value), exported as ``onpbx_<name>_total``."""

    link_state: Callable[[], str]
    outbox_depth: Callable[[], Awaitable[int]]
    counters: Callable[[], dict[str, tuple[str, float]]]
    #: the call-history settler's status (state, last_ok_at, failures, last_error), if enabled
    history: Callable[[], dict[str, Any]] | None = None
    #: supervised tasks by name: {"state": "ok"|"failing", "failures": n, "last_error": text}
    tasks: Callable[[], dict[str, dict[str, Any]]] | None = None
    #: failures per task, ever (``onpbx_task_failures_total{task}``)
    task_failures: Callable[[], dict[str, int]] | None = None


class _Collector(Collector):
    def __init__(self, probe: Probe) -> None:
        self.probe = probe
        self.depth = 0

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        for name, (help_text, value) in sorted(self.probe.counters().items()):
            yield CounterMetricFamily(f"onpbx_{name}", help_text, value=value)
        if self.probe.task_failures is not None:
            family = CounterMetricFamily(
                "onpbx_task_failures", "Failures of a supervised task", labels=["task"])
            for task, count in sorted(self.probe.task_failures().items()):
                family.add_metric([task], float(count))
            yield family
        yield GaugeMetricFamily("onpbx_outbox_depth", "Alerts waiting for delivery", value=self.depth)
        connected = 1.0 if self.probe.link_state() == "connected" else 0.0
        yield GaugeMetricFamily("onpbx_pbx_connected", "1 when the PBX link is up", value=connected)


class HealthServer:
    def __init__(self, probe: Probe, host: str = "127.0.0.1", port: int = 0) -> None:
        self.probe = probe
        self.host, self.port = host, port
        self.registry = CollectorRegistry()
        self._collector = _Collector(probe)
        self.registry.register(self._collector)
        self.command_latency = Histogram(
            "onpbx_command_latency_seconds",
            "Time from a chat command to its reply",
            ["command"],
            registry=self.registry,
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self._runner: web.AppRunner | None = None

    async def _healthz(self, request: web.Request) -> web.Response:
        state = self.probe.link_state()
        depth = await self.probe.outbox_depth()
        tasks = self.probe.tasks() if self.probe.tasks is not None else {}
        ok = state == "connected" and all(t.get("state") != "failing" for t in tasks.values())
        body: dict[str, Any] = {
            "status": "ok" if ok else "degraded", "pbx_link": state, "outbox_depth": depth}
        if self.probe.history is not None:
            body["history"] = self.probe.history()
        if self.probe.tasks is not None:
            body["tasks"] = tasks
        return web.json_response(body, status=200 if ok else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        self._collector.depth = await self.probe.outbox_depth()
        payload = generate_latest(self.registry)
        return web.Response(body=payload, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def start(self) -> int:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self.port
        logger.info("health and metrics on http://%s:%d/", self.host, self.port)
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
