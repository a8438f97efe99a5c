"""Alert rendering: missed calls, registration changes and call cards as neutral messages.

Strategy: one function per alert kind builds styled spans (bold headings, plain lines) in the
chat's language and time zone; adapters escape and mark up. Digests fold many alerts into one
message with counts that always cover every alert and at most ``MAX_DIGEST_LINES`` lines.
"""

from __future__ import annotations

import base64
import logging
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.alerts import followup
from bot.alerts.backfill_text import backfill_line, digest_key
from bot.alerts.causes import cause_words
from bot.domain import (
    Alert,
    Button,
    CallCard,
    ChatSettings,
    MissedCall,
    MissedDigest,
    OutMessage,
    RegistrationChange,
    ReportAlert,
    Span,
)  # fmt: skip
from bot.i18n import register, t
from bot.phone import format_number
from bot.text import flat

logger = logging.getLogger(__name__)

MAX_DIGEST_LINES = 30
MAX_MS = 253_402_214_400_000 - 86_400_000  # 9999-12-30: any time zone still shows it
NAME_MAX = 40  # a caller ID name is shown flattened and at most this long
_HIDDEN = frozenset({"", "anonymous", "unknown", "hidden", "restricted", "private", "unavailable"})

register(
    {
        "render.missed": ("Missed call", "Пропущенный звонок"),
        "render.missed_internal": ("Missed internal call", "Пропущенный внутренний звонок"),
        "render.uncertain": ("Call with unknown outcome", "Звонок с неизвестным исходом"),
        "render.uncertain_why": (
            "The PBX link was down during this call: whether it was answered is not known.",
            "Во время звонка связь с АТС прерывалась: ответили ли на него, неизвестно.",
        ),
        "render.uncertain_mark": ("outcome unknown", "исход неизвестен"),
        "render.hidden": ("hidden number", "скрытый номер"),
        "render.from": ("From: {who}", "От: {who}"),
        "render.called": ("Called: {dest}", "Куда звонили: {dest}"),
        "render.rang": ("Rang: {exts}", "Звонило у: {exts}"),
        "render.trunk": ("Line: {gate}", "Линия: {gate}"),
        "render.time": ("Time: {time}", "Время: {time}"),
        "render.time_unknown": ("time unknown", "время неизвестно"),
        "render.no_time": ("Time: time unknown (the PBX sent no usable time)",
                           "Время: время неизвестно (АТС не сообщила пригодного времени)"),
        "render.ring": ("Rang for: {dur}", "Ожидание: {dur}"),
        "render.cause": ("Reason: {cause}", "Причина: {cause}"),
        "render.btn_call": ("Call back", "Перезвонить"),
        "render.btn_hangup": ("Hang up", "Завершить"),
        "render.online": ("Phone {ext} is online", "Телефон {ext} в сети"),
        "render.offline": ("Phone {ext} is offline", "Телефон {ext} не в сети"),
        "render.device": ("Device: {agent}", "Устройство: {agent}"),
        "render.ip": ("IP: {ip}", "IP: {ip}"),
        "render.flaps": ("Changed {n} times in a short while", "Менялся {n} раз за короткое время"),
        "render.dir_in": ("Incoming call", "Входящий звонок"),
        "render.dir_out": ("Outgoing call", "Исходящий звонок"),
        "render.dir_internal": ("Internal call", "Внутренний звонок"),
        "render.ringing": ("Ringing", "Звонит"),
        "render.answered_by": ("Answered by {who}", "Ответил {who}"),
        "render.answered": ("Talking", "Идёт разговор"),
        "render.on_hold": ("{status}, on hold", "{status}, на удержании"),
        "render.ended_talk": ("Ended, talk time {dur}", "Завершён, разговор {dur}"),
        "render.ended": ("Ended", "Завершён"),
        "render.card_missed": ("Missed", "Пропущен"),
        "render.sec": ("{s} s", "{s} с"),
        "render.min_sec": ("{m} min {s} s", "{m} мин {s} с"),
        "render.hour_min": ("{h} h {m} min", "{h} ч {m} мин"),
        "render.n_missed": (
            "{n} missed calls|{n} missed call",
            "{n} пропущенных звонков|{n} пропущенный звонок|{n} пропущенных звонка",
        ),
        "render.n_reg": (
            "{n} phone status changes|{n} phone status change",
            "{n} изменений статуса|{n} изменение статуса|{n} изменения статуса",
        ),
        "render.n_card": ("{n} calls|{n} call", "{n} звонков|{n} звонок|{n} звонка"),
        "render.more": ("… and {n} more", "… и ещё {n}"),
        "render.line_online": ("{ext} online", "{ext} в сети"),
        "render.line_offline": ("{ext} offline", "{ext} не в сети"),
    }
)  # fmt: skip


def plural(lang: str, key: str, n: int) -> str:
    """Pick the plural form of ``key`` ("many|one" in English, "many|one|few" in Russian)."""
    forms = t(lang, key, n=n).split("|")
    if lang == "en":
        return forms[1] if n == 1 else forms[0]
    if n % 10 == 1 and n % 100 != 11:
        return forms[1]
    return forms[2] if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14 else forms[0]


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        logger.error("unknown time zone %r, using UTC", name)
        return ZoneInfo("UTC")


def duration(lang: str, ms: int) -> str:
    s = max(0, round(ms / 1000))
    if s < 60:
        return t(lang, "render.sec", s=s)
    if s < 3600:
        return t(lang, "render.min_sec", m=s // 60, s=f"{s % 60:02d}")
    return t(lang, "render.hour_min", h=s // 3600, m=f"{s // 60 % 60:02d}")


def is_hidden(number: str) -> bool:
    """An anonymous or withheld caller: nothing to call back."""
    number = number.strip()
    return number.lower() in _HIDDEN or not any(ch.isdigit() for ch in number)


def _exts(exts: object) -> str:
    """Extensions from the PBX, one flat line (they are only digits when the PBX is honest)."""
    return flat(", ".join(str(e) for e in exts), 120) if isinstance(exts, list | tuple) else ""


def _png(b64: str) -> bytes | None:
    """A report's chart from the outbox; a damaged one is left out (the numbers still go)."""
    try:
        return base64.b64decode(b64) or None
    except ValueError:  # binascii.Error
        logger.warning("a report's chart is not valid base64: sent without it")
        return None


class Renderer:
    """Implements :class:`bot.ports.AlertRenderer`; ``country`` drives phone number formatting."""

    def __init__(self, country: str = "RU") -> None:
        self._country = country

    def render(self, alert: Alert, chat: ChatSettings) -> OutMessage:
        """The alert's message; never raises (an input nobody foresaw gets :meth:`plain`)."""
        try:
            return self._render(alert, chat)
        except Exception:  # a bug must cost the alert its looks, never the alert
            logger.exception("%s alert shown plainly: rendering it failed", type(alert).__name__)
            return self.plain(alert, chat)

    def plain(self, alert: Alert, chat: ChatSettings) -> OutMessage:
        """The alert's title and who, one flat line each: what is shown when rendering failed."""
        lang = chat.language
        title = {"missed": "render.missed", "missed_digest": "render.missed",
                 "registration": "render.offline", "card": "render.dir_in"}.get(str(alert.kind), "")
        head = flat(getattr(alert, "caption", ""))
        if title:
            head = t(lang, title, ext=flat(getattr(alert, "ext", "")))
        who = flat(getattr(alert, "caller_number", ""))
        body = "\n" + t(lang, "render.from", who=who) if who else ""
        if isinstance(alert, RegistrationChange) and alert.online:
            head = t(lang, "render.online", ext=flat(alert.ext))
        return OutMessage((Span(head or str(alert.kind), "bold"), Span(body)))

    def _render(self, alert: Alert, chat: ChatSettings) -> OutMessage:
        if isinstance(alert, ReportAlert):
            return OutMessage((Span(alert.caption or " "),), photo=_png(alert.png_b64))
        if isinstance(alert, MissedCall):
            return self._missed(alert, chat)
        if isinstance(alert, RegistrationChange):
            return self._registration(alert, chat)
        if isinstance(alert, MissedDigest):
            return self._missed_digest(alert, chat)
        return self._card(alert, chat)

    def _missed_digest(self, d: MissedDigest, chat: ChatSettings) -> OutMessage:
        """One message for many missed calls found in the call history after a long outage."""
        lines = [self._line(c, chat) for c in d.calls[:MAX_DIGEST_LINES]]
        if len(d.calls) > MAX_DIGEST_LINES:
            lines.append(t(chat.language, "render.more", n=len(d.calls) - MAX_DIGEST_LINES))
        heading = plural(chat.language, digest_key(d.backfill), len(d.calls))
        return OutMessage((Span("📵 "), Span(heading, "bold"), Span("\n" + "\n".join(lines))))

    def render_digest(self, alerts: list[Alert], chat: ChatSettings) -> OutMessage:
        """One message for many alerts; never raises (plain lines when rendering failed)."""
        try:
            return self._digest(alerts, chat)
        except Exception:
            logger.exception("digest of %d alerts shown plainly: rendering it failed", len(alerts))
            lines = [self.plain(a, chat).text.replace("\n", " · ") for a in alerts[:MAX_DIGEST_LINES]]
            return OutMessage((Span("\n".join(lines)),))

    def _digest(self, alerts: list[Alert], chat: ChatSettings) -> OutMessage:
        lang = chat.language
        counts = {"render.n_missed": 0, "render.n_reg": 0, "render.n_card": 0}
        for alert in alerts:
            key = {"missed": "render.n_missed", "registration": "render.n_reg"}.get(
                alert.kind, "render.n_card"
            )
            counts[key] += 1
        heading = ", ".join(plural(lang, k, n) for k, n in counts.items() if n) or plural(
            lang, "render.n_missed", 0
        )
        lines = [self._line(a, chat) for a in alerts[:MAX_DIGEST_LINES]]
        if len(alerts) > MAX_DIGEST_LINES:
            lines.append(t(lang, "render.more", n=len(alerts) - MAX_DIGEST_LINES))
        return OutMessage((Span(heading, "bold"), Span("\n" + "\n".join(lines))))

    # --- pieces -------------------------------------------------------------------------------

    def _num(self, number: str, lang: str) -> str:
        return t(lang, "render.hidden") if is_hidden(number) else flat(format_number(number, self._country))

    def _who(self, number: str, name: str, lang: str) -> str:
        shown, name = self._num(number, lang), flat(name, NAME_MAX)
        if name.lower() not in _HIDDEN and name not in (number, shown):
            return f"{shown} ({name})"
        return shown

    def _time(self, ms: int, chat: ChatSettings, fmt: str = "%d.%m.%Y %H:%M") -> str:
        """Local time of UNIX ``ms``; "time unknown" for a stamp no calendar holds (a PBX that
        sent 1e20: the alert still goes out with everything else it knows)."""
        try:
            if 0 <= ms <= MAX_MS:
                return datetime.fromtimestamp(ms / 1000, _zone(chat.timezone)).strftime(fmt)
        except (OverflowError, OSError, ValueError):
            pass
        return t(chat.language, "render.time_unknown")

    def _time_line(self, ms: int, chat: ChatSettings) -> str:
        shown = self._time(ms, chat)
        if shown == t(chat.language, "render.time_unknown"):
            return t(chat.language, "render.no_time")
        return t(chat.language, "render.time", time=shown)

    def _missed(self, m: MissedCall, chat: ChatSettings) -> OutMessage:
        lang = chat.language
        lines = [t(lang, "render.from", who=self._who(m.caller_number, m.caller_name, lang))]
        if m.destination:
            lines.append(t(lang, "render.called", dest=flat(m.destination)))
        rang = [ext for ext in m.extensions if ext != m.destination]
        if rang:
            lines.append(t(lang, "render.rang", exts=_exts(rang)))
        if m.gate:
            lines.append(t(lang, "render.trunk", gate=flat(format_number(m.gate, self._country))))
        lines.append(self._time_line(m.started_ms, chat))
        if m.uncertain:  # no ring time or cause: the end of the call was not seen
            lines.append(t(lang, "render.uncertain_why"))
        else:
            lines.append(t(lang, "render.ring", dur=duration(lang, m.ended_ms - m.started_ms)))
        if m.hangup_cause and not m.uncertain:
            lines.append(t(lang, "render.cause", cause=flat(cause_words(m.hangup_cause, lang))))
        if m.backfill:
            lines.append(backfill_line(lang, m.backfill))
        title = t(lang, "render.missed_internal" if m.internal else "render.missed")
        if m.uncertain:
            title = t(lang, "render.uncertain")
        if m.backfill == "answered":
            title = t(lang, "backfill.answered_title")
        call_back = None
        if not is_hidden(m.caller_number):
            call_back = Button(t(lang, "render.btn_call"), "call", m.caller_number.strip())
        lines += followup.lines(m, lang, lambda ms: self._time(ms, chat, "%H:%M"))
        buttons = followup.buttons(m, lang, call_back)
        mark = "❔ " if m.uncertain else "📵 "
        return OutMessage((Span(mark), Span(title, "bold"), Span("\n" + "\n".join(lines))), buttons)

    def _registration(self, r: RegistrationChange, chat: ChatSettings) -> OutMessage:
        lang = chat.language
        title = t(lang, "render.online" if r.online else "render.offline", ext=flat(r.ext))
        lines = []
        if r.online and r.agent:
            lines.append(t(lang, "render.device", agent=flat(r.agent)))
        if r.online and r.ip:
            lines.append(t(lang, "render.ip", ip=flat(f"{r.ip}:{r.port}" if r.port else r.ip)))
        if r.flaps > 1:
            lines.append(t(lang, "render.flaps", n=r.flaps))
        lines.append(self._time_line(r.at_ms, chat))
        mark = "🟢 " if r.online else "🔴 "
        return OutMessage((Span(mark), Span(title, "bold"), Span("\n" + "\n".join(lines))))

    def _status(self, c: CallCard, lang: str) -> str:
        status = self._phase(c, lang)
        return t(lang, "render.on_hold", status=status) if c.on_hold and c.phase != "ended" else status

    def _phase(self, c: CallCard, lang: str) -> str:
        if c.phase == "ringing":
            return t(lang, "render.ringing")
        if c.phase == "answered":
            return (
                t(lang, "render.answered_by", who=flat(c.answered_by))
                if c.answered_by
                else t(lang, "render.answered")
            )
        if c.missed:
            return t(lang, "render.card_missed")
        if c.answered_ms is not None and c.ended_ms is not None:
            return t(lang, "render.ended_talk", dur=duration(lang, c.ended_ms - c.answered_ms))
        return t(lang, "render.ended")

    def _card(self, c: CallCard, chat: ChatSettings) -> OutMessage:
        lang = chat.language
        lines = [f"{self._who(c.caller_number, c.caller_name, lang)} → {self._num(c.callee, lang)}"]
        rang = [ext for ext in c.extensions if ext not in (c.callee, c.caller_number)]
        if rang:
            lines.append(t(lang, "render.rang", exts=_exts(rang)))
        lines.append(self._time_line(c.started_ms, chat))
        lines.append(self._status(c, lang))
        buttons: tuple[tuple[Button, ...], ...] = ()
        if c.phase != "ended":
            buttons = ((Button(t(lang, "render.btn_hangup"), "hangup", c.call_id),),)
        title = t(lang, f"render.dir_{c.direction}")
        return OutMessage((Span("📞 "), Span(title, "bold"), Span("\n" + "\n".join(lines))), buttons)

    def _line(self, alert: Alert, chat: ChatSettings) -> str:
        lang = chat.language
        if isinstance(alert, MissedCall):
            exts = _exts(alert.extensions) or flat(alert.destination)
            dur = duration(lang, alert.ended_ms - alert.started_ms)
            if alert.uncertain:
                dur = t(lang, "render.uncertain_mark")
            who = self._who(alert.caller_number, alert.caller_name, lang)
            mark = " ✅" if alert.resolution else ""
            return f"{self._time(alert.started_ms, chat, '%H:%M')} {who} → {exts} · {dur}{mark}"
        if isinstance(alert, ReportAlert):
            return alert.caption.split("\n", 1)[0]
        if isinstance(alert, RegistrationChange):
            key = "render.line_online" if alert.online else "render.line_offline"
            text = t(lang, key, ext=flat(alert.ext))
            return f"{self._time(alert.at_ms, chat, '%H:%M')} {text}"
        if isinstance(alert, MissedDigest):
            return plural(lang, digest_key(alert.backfill), len(alert.calls))
        who = self._who(alert.caller_number, alert.caller_name, lang)
        status = self._status(alert, lang)
        return f"{self._time(alert.started_ms, chat, '%H:%M')} {who} → {flat(alert.callee)}: {status}"
