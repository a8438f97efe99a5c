"""Authorization: one pure decision, taken before any handler runs (deny by default).

Strategy: the service turns a typed command into a *permission key* (``settings`` vs
``settings:set``, ``call`` vs ``call:from``), computes the user's effective role, and asks
:func:`decide`. Handlers never check permissions themselves.

The table (roles are ordered: admin > operator > viewer; a higher role may do what a lower may):

==========================  ============  ==========================================
key                          least role     extra condition
==========================  ============  ==========================================
start, help, settings        anyone         (settings without arguments only shows)
pair                         anyone         private chat only (the code stays private)
who, calls, trunks,          viewer
missed, report
done (button)                operator
call, hangup, transfer,      operator       chat bound to an extension (admins: any chat)
listen, sipmsg
call:from (foreign EXT),     admin
bridge, bind, unbind,
reboot, reloadgw, flushreg,
broadcast, subscribe,
settings:set, dial, grant,
revoke, admins, audit
anything else                nobody         unknown commands are refused
==========================  ============  ==========================================
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.domain import Role

OPEN: frozenset[str] = frozenset({"start", "help", "settings", "pair"})
PRIVATE_ONLY: frozenset[str] = frozenset({"pair"})
NEEDS_BINDING: frozenset[str] = frozenset({"call", "hangup", "transfer", "listen", "sipmsg"})
LEAST_ROLE: dict[str, Role] = {
    "who": Role.VIEWER,
    "calls": Role.VIEWER,
    "trunks": Role.VIEWER,
    "history": Role.VIEWER,
    "missed": Role.VIEWER,
    "report": Role.VIEWER,
    "done": Role.OPERATOR,
    **{key: Role.OPERATOR for key in NEEDS_BINDING},
    **{
        key: Role.ADMIN
        for key in (
            "call:from", "bridge", "bind", "unbind", "reboot", "reloadgw", "flushreg", "broadcast",
            "subscribe", "settings:set", "dial", "grant", "revoke", "admins", "audit",
        )
    },
}
KNOWN: frozenset[str] = OPEN | frozenset(LEAST_ROLE)


@dataclass(frozen=True, slots=True)
class Decision:
    """``reason`` is an i18n key (``policy.*``); ``needed`` the least role, when one would do."""

    allowed: bool
    reason: str
    needed: Role | None = None


def decide(command: str, role: Role | None, *, chat_bound: bool, is_private: bool) -> Decision:
    """May a user with ``role`` (None: no role) run permission key ``command`` in this chat?"""
    if command not in KNOWN:
        return Decision(False, "policy.unknown")
    if command in PRIVATE_ONLY and not is_private:
        return Decision(False, "policy.private_only")
    if command in OPEN:
        return Decision(True, "policy.ok")
    least = LEAST_ROLE[command]
    if role is None or role < least:
        return Decision(False, "policy.need_role", least)
    if command in NEEDS_BINDING and not chat_bound and role < Role.ADMIN:
        return Decision(False, "policy.not_bound")
    return Decision(True, "policy.ok")


def effective_role(
    platform: str,
    user_id: str,
    chat_id: str,
    *,
    config_admins: Iterable[tuple[str, str]],
    grants: Mapping[str, Role],
) -> Role | None:
    """max(BOT_ADMINS -> admin, the global grant "*", the grant scoped to ``chat_id``)."""
    candidates: list[Role] = []
    if (platform, user_id) in set(config_admins):
        candidates.append(Role.ADMIN)
    for scope in ("*", chat_id):
        if scope in grants:
            candidates.append(grants[scope])
    return max(candidates) if candidates else None
