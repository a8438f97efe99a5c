"""Slack adapter (slack-bolt async + slack_sdk): translates between Slack and the core."""

from adapters.slack.runner import SlackAdapter
from adapters.slack.sender import SlackSender

__all__ = ["SlackAdapter", "SlackSender"]
