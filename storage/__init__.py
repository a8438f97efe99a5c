"""Durable state behind the core's ``Store`` port: an in-memory store (tests, console mode)
and a SQLite store (production), both passing the same contract tests."""
