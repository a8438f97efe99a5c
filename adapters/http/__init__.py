"""Operability endpoints: ``/healthz`` and Prometheus ``/metrics`` (``BOT_HTTP_PORT``)."""
