"""Where a new leg belongs: the indexes the call tracker searches when a channel is created.

Calls from one caller are bucketed by :func:`tail` (the last 7 digits, cheap) and compared exactly by
``bot.phone.number_key`` only when the written forms differ, so ``79161234567`` and
``89161234567`` are one caller and a hidden caller matches nothing. An outbound leg joins, in this
order: the live unanswered inbound call of its caller (of several, the newest seen within 120 s,
else the newest), the unanswered call of an extension that dialled the leg's number (click-to-call,
or an outgoing call whose outside leg shows the trunk's number), or a call being transferred.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.events import ChannelCreate
from bot.phone import is_extension, number_key, number_tail
from bot.tracking.callstate import GROUP_WINDOW_MS, TrackedCall

#: dialplan applications that hand a live call to someone else (the next leg of its caller joins)
TRANSFER_APPS = frozenset({"transfer", "att_xfer", "blind_xfer", "deflect", "redirect", "uuid_transfer"})


tail = number_tail  # the bucket of a caller number (bot.phone)


class CallIndex:
    """Indexes over the tracker's ``calls`` dict (shared, owned by the tracker)."""

    def __init__(self, calls: dict[str, TrackedCall], *, country: str, clock: Callable[[], float]) -> None:
        self._calls = calls
        self._country = country
        self._clock = clock
        self._live_in: dict[str, list[str]] = {}  # caller tail -> live inbound call ids
        self._open_out: dict[str, list[str]] = {}  # callee tail -> calls dialled by an extension
        self._out_key: dict[str, str] = {}  # call id -> its key in _open_out
        self._xfer: dict[str, None] = {}  # calls with a transfer under way
        self._by_pbx_id: dict[str, str] = {}  # the source's call identity -> call id

    def by_identity(self, pbx_id: str) -> TrackedCall | None:
        return self._calls.get(self._by_pbx_id.get(pbx_id, ""))

    def find(self, ev: ChannelCreate) -> TrackedCall | None:
        """The call an outbound leg without a call identity joins (see the module docstring)."""
        return self._find_a(ev.caller_number) or self._find_out(ev) or self._find_xfer(ev)

    def transferring(self, call: TrackedCall) -> None:
        call.xfer = True
        self._xfer[call.call_id] = None

    def remove(self, call: TrackedCall) -> None:
        """Forget a finished call."""
        if call.inbound:
            self._drop(self._live_in, tail(call.caller_number), call.call_id)
        out_key = self._out_key.pop(call.call_id, None)
        if out_key is not None:
            self._drop(self._open_out, out_key, call.call_id)
        if self._xfer:
            self._xfer.pop(call.call_id, None)
        if call.pbx_id and self._by_pbx_id.get(call.pbx_id) == call.call_id:
            del self._by_pbx_id[call.pbx_id]

    def add(self, call: TrackedCall) -> None:
        """Index a new (or restored) call."""
        if call.xfer:
            self._xfer[call.call_id] = None
        if call.pbx_id:
            self._by_pbx_id[call.pbx_id] = call.call_id
        elif call.inbound:
            key = tail(call.caller_number)
            if key:
                self._live_in.setdefault(key, []).append(call.call_id)
            if is_extension(call.caller_number):  # its outside leg may carry the trunk's number
                self._add_out(call)
        elif not call.answered and is_extension(call.caller_number):
            self._add_out(call)

    def _add_out(self, call: TrackedCall) -> None:
        key = tail(call.callee)
        if key:
            self._open_out.setdefault(key, []).append(call.call_id)
            self._out_key[call.call_id] = key

    def _same(self, a: str, b: str) -> bool:
        return a == b or number_key(a, self._country) == number_key(b, self._country) != ""

    def _find_a(self, caller: str) -> TrackedCall | None:
        """The live, unanswered inbound call of ``caller``; of several, the newest one seen
        within 120 s (local clock), else the newest."""
        ids = self._live_in.get(tail(caller))
        if not ids:
            return None
        if len(ids) == 1:
            call = self._calls.get(ids[0])
            ok = call is not None and not call.answered and self._same(call.caller_number, caller)
            return call if ok else None
        found: list[TrackedCall] = []
        for call_id in reversed(ids):
            call = self._calls.get(call_id)
            if call is not None and not call.answered and self._same(call.caller_number, caller):
                found.append(call)
        if len(found) < 2:
            return found[0] if found else None
        now = self._clock()
        return next((c for c in found if now - c.created_at <= GROUP_WINDOW_MS / 1000), found[0])

    def _find_out(self, ev: ChannelCreate) -> TrackedCall | None:
        """The unanswered call of an extension that dialled this leg's number: a click-to-call
        whose agent leg rings now, or an outgoing call whose outside leg shows the trunk's number.
        Only legs to the outside qualify: a leg ringing a phone (``ext@domain``) never joins by
        what was dialled (it may be another caller's, e.g. a hidden one's)."""
        if "@" in ev.endpoint:
            return None
        for call_id in reversed(self._open_out.get(tail(ev.destination_number), ())):
            call = self._calls.get(call_id)
            if call is not None and not call.answered and self._same(call.callee, ev.destination_number):
                return call
        return None

    def _find_xfer(self, ev: ChannelCreate) -> TrackedCall | None:
        """A call being transferred: the new leg comes from its caller or the transferring phone."""
        for call_id in reversed(self._xfer):
            call = self._calls.get(call_id)
            if call is None:
                continue
            if self._same(call.caller_number, ev.caller_number) or any(
                n and (n in call.rang or n == call.answered_by) for n in (ev.caller_number, ev.diversion)
            ):
                del self._xfer[call_id]
                call.xfer = False
                return call
        return None

    def _drop(self, index: dict[str, list[str]], key: str, call_id: str) -> None:
        ids = index.get(key)
        if ids is not None and call_id in ids:
            ids.remove(call_id)
            if not ids:
                del index[key]
