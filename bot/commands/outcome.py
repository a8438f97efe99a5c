"""What became of a command: typed errors turned into replies and audit results, and the audit line.

Strategy: :func:`execute` runs a handler and maps each of the project's error types to its ru/en
reply and a short audit result (a refusal by the command's own scope check, or by the dial policy,
is audited as refused: ``ctx.allowed`` False); anything else is logged as a bug and answered with
an apology. :func:`audit` writes the line, without the secret arguments of ``/pair``.
"""

from __future__ import annotations

import logging

from bot.commands.base import Ctx, Handler
from bot.domain import AuditEntry, OutMessage
from bot.errors import (
    BotError,
    InvalidArgument,
    PbxCommandError,
    PbxNotSupported,
    PbxTimeout,
    PbxUnavailable,
    Refused,
    StorageError,
)
from bot.text import flat

logger = logging.getLogger(__name__)

REFUSAL_KEYS = frozenset({"dial.international", "dial.premium", "dial.rate", "dial.short"})
SECRET_ARGS = frozenset({"pair"})  # never written to the audit log
AUDIT_ARGS_MAX = 200


async def execute(ctx: Ctx, handler: Handler) -> list[OutMessage]:
    """Run ``handler``; every error becomes a reply; ``ctx.result`` and ``ctx.allowed`` say what
    happened."""
    try:
        return await handler(ctx)
    except InvalidArgument as exc:
        refused = isinstance(exc, Refused) or exc.key in REFUSAL_KEYS
        ctx.result, ctx.allowed = f"{'refused' if refused else 'invalid'}: {exc.key}", not refused
        return [ctx.say(exc.key, **exc.params)]
    except PbxCommandError as exc:
        ctx.result = exc.code[:64]
        return [ctx.say("pbx.refused", code=exc.code[:64])]
    except PbxNotSupported as exc:
        ctx.result = "unavailable on API " + exc.api
        return [ctx.say("pbx.not_supported", api=exc.api)]
    except PbxTimeout:
        ctx.result = "timeout"
        return [ctx.say("pbx.timeout")]
    except PbxUnavailable:
        ctx.result = "unavailable"
        return [ctx.say("pbx.unavailable")]
    except StorageError as exc:
        ctx.result = "storage busy"
        logger.warning("command %s: %s", ctx.cmd.name, exc)
        return [ctx.say("storage.busy")]
    except Exception as exc:
        ctx.result = "error: " + type(exc).__name__
        level = logging.ERROR if isinstance(exc, BotError) else logging.CRITICAL
        logger.log(level, "command %s failed: %s", ctx.cmd.name, type(exc).__name__, exc_info=True)
        return [ctx.say("internal.error")]


async def audit(ctx: Ctx, allowed: bool, result: str) -> None:
    """One audit line for ``ctx``'s command (a store failure is logged, never raised)."""
    cmd = ctx.cmd
    shown = "***" if cmd.name in SECRET_ARGS else flat(cmd.text or " ".join(cmd.args), AUDIT_ARGS_MAX)
    entry = AuditEntry(
        at=ctx.deps.clock(), platform=cmd.chat.platform, chat_id=cmd.chat.chat_id,
        user_id=flat(cmd.user.user_id), user_display=flat(cmd.user.display or cmd.user.username),
        command=flat(cmd.name, 40), args=shown, allowed=allowed, result=result,
    )
    try:
        await ctx.deps.store.audit(entry)
    except BotError as exc:
        logger.error("audit of %s failed: %s", cmd.name, type(exc).__name__)
