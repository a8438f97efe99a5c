"""Socket.IO 0.9 wire codec: sans-I/O (no asyncio, no aiohttp, no network logging).

Strategy: a frame is ``type:id[+]:endpoint[:data]`` (see socket.io-client 0.9 ``parser.js``).
:func:`decode` turns one text frame into a frozen :class:`Packet` or raises
:class:`bot.errors.ProtocolError`; :func:`encode` is its inverse. Events and acks keep their
JSON already parsed (``name``/``args``), so callers never touch raw JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.errors import FrameTooLarge, ProtocolError

DISCONNECT, CONNECT, HEARTBEAT, MESSAGE, JSON, EVENT, ACK, ERROR, NOOP = range(9)
TYPE_NAMES = ("disconnect", "connect", "heartbeat", "message", "json", "event", "ack", "error", "noop")
ERROR_REASONS = ("transport not supported", "client not handshaken", "unauthorized")
ERROR_ADVICE = ("reconnect",)
DEFAULT_MAX_FRAME = 1 << 20
_TEXT_TYPES = frozenset((MESSAGE, CONNECT, ERROR, NOOP))
_DECODER = json.JSONDecoder()
_loads = _DECODER.decode
# The C scanner alone: decode() around it adds two whitespace regexes per call.
_scan: Callable[[str, int], tuple[Any, int]] = getattr(_DECODER, "scan_once")  # noqa: B009 - untyped

_FRAME = re.compile(r"([0-8]):([0-9]*)(\+?):([^:]*)(?::(.*))?\Z", re.DOTALL)
_ACK_DATA = re.compile(r"([0-9]+)(\+?)(.*)\Z", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Packet:
    """One Socket.IO 0.9 packet.

    ``id``/``ack_data``: a message id the peer wants acknowledged (``5:1+::…`` sets both).
    ``data``: raw text for message/connect/error/noop, parsed JSON for json packets.
    ``name``/``args``: event packets. ``ack_id``/``args``: ack packets.
    """

    type: int
    id: str = ""
    ack_data: bool = False
    endpoint: str = ""
    data: Any = None
    name: str = ""
    args: tuple[Any, ...] = field(default=())
    ack_id: str = ""

    def __post_init__(self) -> None:
        # Normalize so that decode(encode(p)) == p: text packets carry "" (never None), and
        # packets whose wire form has no data carry None.
        if self.type == EVENT and self.data is None and not self.ack_id and type(self.args) is tuple:
            return  # the hot path: a decoded event is already normal
        if self.type in _TEXT_TYPES:
            if self.data is None:
                object.__setattr__(self, "data", "")
        elif self.type != JSON and self.data is not None:
            object.__setattr__(self, "data", None)
        if not isinstance(self.args, tuple):
            object.__setattr__(self, "args", tuple(self.args))
        if self.type != EVENT and self.name:
            object.__setattr__(self, "name", "")
        if self.type != ACK and self.ack_id:
            object.__setattr__(self, "ack_id", "")
        if self.type not in (EVENT, ACK) and self.args:
            object.__setattr__(self, "args", ())


def event(name: str, *args: Any, endpoint: str = "") -> Packet:
    return Packet(EVENT, endpoint=endpoint, name=name, args=tuple(args))


HEARTBEAT_PACKET = Packet(HEARTBEAT)
CONNECT_PACKET = Packet(CONNECT)
DISCONNECT_PACKET = Packet(DISCONNECT)


def _json_loads(text: str, what: str) -> Any:
    try:  # fast: one value filling the whole text; anything else takes decode()'s exact path
        value, end = _scan(text, 0)
        if end == len(text):
            return value
    except (ValueError, StopIteration, RecursionError):
        pass
    try:
        return _loads(text)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"{what} with invalid JSON: {str(exc)[:80]}") from None


def decode(frame: str, max_size: int = DEFAULT_MAX_FRAME) -> Packet:
    """Decode one frame. Raises :class:`ProtocolError` (or :class:`FrameTooLarge`)."""
    if len(frame) > max_size:
        raise FrameTooLarge(f"frame of {len(frame)} characters exceeds the limit of {max_size}")
    if frame.startswith("5:::"):  # the hot path: an event on the main endpoint, no ack
        return _event(_json_loads(frame[4:], "event"), None)
    m = _FRAME.match(frame)
    if m is None:
        raise ProtocolError(f"not a Socket.IO 0.9 frame: {frame[:40]!r}")
    ptype = int(m.group(1))
    pid, plus, endpoint, data = m.group(2), m.group(3) == "+", m.group(4), m.group(5)
    if plus and not pid:
        raise ProtocolError(f"'+' without a message id: {frame[:40]!r}")
    common: dict[str, Any] = {"id": pid, "ack_data": plus, "endpoint": endpoint}
    if ptype == EVENT:
        return _event(_json_loads(data or "", "event"), common)
    if ptype == ACK:
        am = _ACK_DATA.match(data or "")
        if am is None:
            raise ProtocolError(f"ack without an id: {frame[:40]!r}")
        args = _json_loads(am.group(3), "ack") if am.group(2) else []
        if not isinstance(args, list):
            raise ProtocolError("ack args is not a list")
        return Packet(ACK, ack_id=am.group(1), args=tuple(args), **common)
    if ptype == JSON:
        return Packet(JSON, data=_json_loads(data or "", "json packet"), **common)
    if ptype in (DISCONNECT, HEARTBEAT):
        return Packet(ptype, **common)
    return Packet(ptype, data=data if data is not None else "", **common)


def _event(body: Any, common: dict[str, Any] | None) -> Packet:
    if type(body) is not dict or type(name := body.get("name")) is not str:
        raise ProtocolError("event without a name")
    args = body.get("args", [])
    if type(args) is not list:
        raise ProtocolError("event args is not a list")
    if common is None:  # positional: no keyword dict on the hot path
        return Packet(EVENT, "", False, "", None, name, tuple(args))
    return Packet(EVENT, name=name, args=tuple(args), **common)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def encode(packet: Packet) -> str:
    """Encode a packet exactly as socket.io 0.9's ``encodePacket`` does."""
    data: str | None = None
    t = packet.type
    if t == EVENT:
        body: dict[str, Any] = {"name": packet.name}
        if packet.args:
            body["args"] = list(packet.args)
        data = _dumps(body)
    elif t == ACK:
        data = packet.ack_id + ("+" + _dumps(list(packet.args)) if packet.args else "")
    elif t == JSON:
        data = _dumps(packet.data)
    elif t in _TEXT_TYPES:
        data = packet.data or None
    head = f"{t}:{packet.id}{'+' if packet.ack_data else ''}:{packet.endpoint}"
    return head if data is None else f"{head}:{data}"


def error_text(packet: Packet) -> str:
    """Human text of an error packet (``7:::1+0`` -> 'client not handshaken, reconnect')."""
    reason, _, advice = str(packet.data or "").partition("+")
    words = [
        ERROR_REASONS[int(reason)] if reason.isdigit() and int(reason) < len(ERROR_REASONS) else reason,
        ERROR_ADVICE[int(advice)] if advice.isdigit() and int(advice) < len(ERROR_ADVICE) else advice,
    ]
    return ", ".join(w for w in words if w) or "unspecified error"


@dataclass(frozen=True, slots=True)
class Handshake:
    """The answer to ``GET /socket.io/1/``: ``sid:heartbeat:close:transports``."""

    sid: str
    heartbeat_timeout: float | None  # seconds; None when the server disabled heartbeats
    close_timeout: float | None
    transports: tuple[str, ...]


def parse_handshake(body: str) -> Handshake:
    parts = body.strip().split(":")
    if len(parts) != 4 or not parts[0]:
        raise ProtocolError(f"unreadable handshake answer: {body[:60]!r}")

    def seconds(text: str) -> float | None:
        if text == "":
            return None
        try:
            return float(text)
        except ValueError:
            raise ProtocolError(f"handshake timeout is not a number: {text!r}") from None

    transports = tuple(t for t in parts[3].split(",") if t)
    return Handshake(parts[0], seconds(parts[1]), seconds(parts[2]), transports)


def format_handshake(h: Handshake) -> str:
    def num(v: float | None) -> str:
        return "" if v is None else f"{v:g}"

    return f"{h.sid}:{num(h.heartbeat_timeout)}:{num(h.close_timeout)}:{','.join(h.transports)}"


# --- multi-packet payloads: \ufffd<len>\ufffd<packet>... (len in UTF-16 code units, as in JS) ---

_MARK = "\ufffd"


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def encode_payload(packets: list[Packet]) -> str:
    """Several packets in one text, as socket.io 0.9's ``encodePayload`` frames them."""
    frames = [encode(p) for p in packets]
    return "".join(f"{_MARK}{_utf16_len(f)}{_MARK}{f}" for f in frames)


class PayloadDecoder:
    """Turns received text into packets; sans-I/O.

    A text that starts a payload (``\ufffd``) is buffered until each framed packet is complete;
    any other text (with nothing buffered) is one whole frame. :meth:`feed` raises
    :class:`ProtocolError` / :class:`FrameTooLarge` for the first bad packet, having consumed it:
    call ``feed("")`` to continue with what is still buffered (packets decoded before the error
    are returned then, not lost).
    """

    def __init__(self, max_size: int = DEFAULT_MAX_FRAME) -> None:
        self.max_size = max_size
        self._buf = ""
        self._ready: list[Packet] = []

    @property
    def buffered(self) -> int:
        """Characters waiting for the rest of their payload."""
        return len(self._buf)

    def feed(self, text: str) -> list[Packet]:
        """Add ``text``; return every packet completed so far."""
        if not self._buf and not text.startswith(_MARK):
            if not text:
                return self._take()
            self._ready.append(decode(text, self.max_size))
            return self._take()
        self._buf += text
        while self._buf:
            if not self._next():
                break
        return self._take()

    def _take(self) -> list[Packet]:
        ready, self._ready = self._ready, []
        return ready

    def _next(self) -> bool:
        buf = self._buf
        if not buf.startswith(_MARK):
            self._buf = ""
            raise ProtocolError(f"payload framing lost at {buf[:40]!r}")
        end = buf.find(_MARK, 1)
        if end < 0:
            if len(buf) > 13 or not (buf[1:].isdigit() or len(buf) == 1):
                self._buf = ""
                raise ProtocolError(f"bad payload length {buf[1:20]!r}")
            return False
        digits = buf[1:end]
        if not digits.isdigit() or not digits.isascii() or len(digits) > 12:
            self._buf = ""
            raise ProtocolError(f"bad payload length {digits[:20]!r}")
        start, units = end + 1, int(digits)
        if units > self.max_size:
            self._buf = ""
            raise FrameTooLarge(f"payload packet of {units} units exceeds the limit of {self.max_size}")
        stop = self._cut(start, units)
        if stop is None:
            return False
        frame, self._buf = buf[start:stop], buf[stop:]
        self._ready.append(decode(frame, self.max_size))
        return True

    def _cut(self, start: int, units: int) -> int | None:
        """Index after ``units`` UTF-16 code units from ``start``; None if not all buffered yet."""
        stop = min(start + units, len(self._buf))  # never past the end: astral text is shorter
        have = _utf16_len(self._buf[start:stop])
        while have > units:  # astral characters count twice
            stop -= 1
            have -= 2 if self._buf[stop] > "\uffff" else 1
        if have == units:
            return stop
        if stop >= len(self._buf):
            return None
        self._buf = self._buf[stop + 1 :]
        raise ProtocolError("payload length splits a character")
