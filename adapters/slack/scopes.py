"""The bot-token scopes the Slack side needs, from the Web API methods it calls and the features
it uses; ``slack-app-manifest.yml`` must hold exactly these (``tests/slack/test_manifest.py``
finds every method the code calls and checks both ways).

Each method's scope is the one its page on api.slack.com/methods names for bot tokens.
"""

from __future__ import annotations

#: slack_sdk method name -> bot scope it needs (None: none, or not a bot-token method)
METHOD_SCOPES: dict[str, str | None] = {
    "auth_test": None,  # doctor, setup
    "apps_connections_open": None,  # Socket Mode; the app-level token's connections:write
    "chat_postMessage": "chat:write",  # alerts, replies to mentions
    "chat_update": "chat:write",  # alerts edited in place
    "files_upload_v2": "files:write",  # the report's chart (getUploadURLExternal + completeUploadExternal)
    "users_info": "users:read",  # names and workspaces of people named in commands
}
#: scopes of what Slack sends the app rather than what it calls
FEATURE_SCOPES: dict[str, str] = {
    "commands": "the /pbx slash command",
    "app_mentions:read": "the app_mention event (@pbx who)",
}


def needed() -> set[str]:
    """Every bot scope the adapter needs."""
    return {s for s in METHOD_SCOPES.values() if s} | set(FEATURE_SCOPES)
