"""PBX event payloads -> the core's frozen dataclasses, with tolerant typing.

Strategy: each dataclass's fields are read once at import into a (name, kind, required) spec;
a value is coerced by kind (numbers as strings or numbers, "1.0e3" -> 1000, null/absent optional
-> default). Anything else is :class:`bot.errors.MalformedEvent`; unknown names -> ``RawEvent``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

from adapters.pbx.stamps import to_ms
from bot.domain import SipUser, Trunk
from bot.errors import MalformedEvent
from bot.events import EVENT_TYPES, PbxEvent, RawEvent

_STR, _INT, _ANY = "str", "int", "any"
# (wire key, fast type, empty allowed, kind, required, default): one per dataclass field, in order
_Field = tuple[str, type, bool, str, bool, Any]
_Spec = tuple[_Field, ...]
_FAST = {_STR: str, _INT: int, _ANY: type(None)}  # values of this exact type pass unconverted


class _Bad(Exception):
    """A value of the wrong type (internal; becomes MalformedEvent)."""


def _kind(annotation: object) -> str:
    text = str(annotation)
    return _INT if text.startswith("int") else _STR if text == "str" else _ANY


#: field -> wire key where they differ for every source: the call identity is ``call_uuid`` on the
#: wire (API 3.0; 2.0 never sends it)
_WIRE_NAMES = {"call_id": "call_uuid"}


def _spec(cls: type, rename: dict[str, str] | None = None) -> _Spec:
    rename = {**_WIRE_NAMES, **(rename or {})}
    out = []
    for f in dataclasses.fields(cls):
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        kind = _kind(f.type)
        default = None if required else f.default
        out.append((rename.get(f.name, f.name), _FAST[kind], not required, kind, required, default))
    return tuple(out)


def to_str(value: Any) -> str:
    """Strings as they are; numbers (not booleans) as their decimal text ("201", not "201.0")."""
    if type(value) is str:
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Bad(f"expected a string or number, got {type(value).__name__}")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def to_int(value: Any) -> int | None:
    """Integers, integral floats, and their text ("1375466463124", "1.0e3"); "" -> None."""
    if type(value) is int:
        return value
    if type(value) is str:  # the common wire form ("1700000000000"): no strip, no copy
        try:
            return int(value)
        except ValueError:
            pass
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            value = _float(text)
    if isinstance(value, float) and math.isfinite(value):
        return round(value)
    raise _Bad(f"expected an integer, got {type(value).__name__} {str(value)[:20]!r}")


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise _Bad(f"expected an integer, got {text[:20]!r}") from None


_CONVERT: dict[str, Callable[[Any], Any]] = {_STR: to_str, _INT: to_int, _ANY: lambda v: v}


def _compile(cls: type, spec: _Spec, what: str) -> Callable[[Any], Any]:
    """A builder of ``cls`` from a payload, generated once per class (as dataclasses does): each
    field is read and type-checked inline; values of the expected type pass as they are (the hot
    path), anything else goes through :func:`_slow`. Fields are positional, in dataclass order."""
    lines = [
        "def build(payload):",
        "    if type(payload) is not dict:",
        f"        raise MalformedEvent({what!r}, f'payload is {{type(payload).__name__}}, not an object')",
        "    get = payload.get",
    ]
    for i, (key, fast, ok, kind, req, _) in enumerate(spec):
        test = f"type(v{i}) is not {fast.__name__}" + ("" if ok else f" or not v{i}")
        slow = f"_slow({what!r}, {key!r}, {kind!r}, {req!r}, defaults[{i}], v{i})"
        lines += [f"    v{i} = get({key!r})", f"    if {test}: v{i} = {slow}"]
    lines.append(f"    return cls({', '.join(f'v{i}' for i in range(len(spec)))})")
    scope: dict[str, Any] = {
        "cls": cls, "_slow": _slow, "MalformedEvent": MalformedEvent, "NoneType": type(None),
        "defaults": tuple(f[5] for f in spec),
    }  # fmt: skip
    exec("\n".join(lines), scope)  # noqa: S102 - source built above from dataclass field names only
    build: Callable[[Any], Any] = scope["build"]
    return build


def _slow(what: str, key: str, kind: str, required: bool, default: Any, raw: Any) -> Any:
    if raw is not None:
        try:
            value = _CONVERT[kind](raw)
        except _Bad as exc:
            raise MalformedEvent(what, f"field {key!r}: {exc}") from None
        if value is not None and (value != "" or not required):
            return value
    if required:
        raise MalformedEvent(what, f"required field {key!r} is {'empty' if raw is not None else 'missing'}")
    return default


_EVENT_BUILDERS = {name: _compile(cls, _spec(cls), name) for name, cls in EVENT_TYPES.items()}
_USER_BUILDER = _compile(SipUser, _spec(SipUser, {"exp_ms": "exp"}), "user_list")
_TRUNK_BUILDER = _compile(Trunk, _spec(Trunk), "trunk_list")


def compile_builder(cls: type, what: str, rename: dict[str, str] | None = None) -> Callable[[Any], Any]:
    """A tolerant builder of ``cls`` from a payload whose keys are its fields (``rename``: field
    -> wire key), for sources with their own event shapes (API 3.0's ``call_end``)."""
    return _compile(cls, _spec(cls, rename), what)


#: events whose stamp is normalised to milliseconds at this edge (sources send s, ms or us)
_STAMPED = {"channel_create": "created_stamp", "channel_destroy": "created_stamp",
            "channel_answer": "answered_stamp"}  # fmt: skip


def parse_event(name: str, payload: Any) -> PbxEvent:
    """The dataclass for event ``name``; ``RawEvent`` for names the contract does not model.
    Stamps come out in milliseconds whatever unit the source used (:func:`stamps.to_ms`)."""
    build = _EVENT_BUILDERS.get(name)
    if build is None:
        return RawEvent(name, payload)
    event: PbxEvent = build(payload)
    field = _STAMPED.get(name)
    if field is not None:
        stamp = getattr(event, field)
        if stamp is not None and stamp != to_ms(stamp):
            event = dataclasses.replace(event, **{field: to_ms(stamp)})  # type: ignore[arg-type]
    return event


def _listing(what: str, build: Callable[[Any], Any], data: Any) -> list[Any]:
    if data is None:
        return []
    if isinstance(data, dict):  # some servers answer {"0": {...}, "1": {...}}
        data = list(data.values())
    if not isinstance(data, list):
        raise MalformedEvent(what, f"reply data is {type(data).__name__}, not a list")
    return [build(item) for item in data]


def parse_user_list(data: Any) -> list[SipUser]:
    """``user_list`` reply data -> :class:`SipUser` entries."""
    return _listing("user_list", _USER_BUILDER, data)


def parse_trunk_list(data: Any) -> list[Trunk]:
    """``trunk_list`` reply data -> :class:`Trunk` entries."""
    return _listing("trunk_list", _TRUNK_BUILDER, data)
