"""The simulated PBX's directory: extensions (with phones), ring groups and trunks.

Strategy: plain frozen dataclasses with a Russian-looking default office, so ``user_list``,
``trunk_list`` and the traffic generator all read one configurable source.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Extension:
    """One extension and the phone registered on it."""

    num: str
    name: str
    agent: str = "Yealink SIP-T46S 66.86.0.15"
    ip: str = "213.222.45.85"
    local_ip: str = "192.168.1.10"
    port: int = 5060
    online: bool = True  # registers when the simulator starts traffic


@dataclass(frozen=True, slots=True)
class Trunk:
    """A trunk (gateway): its number is the ``gate`` of calls through it."""

    num: str
    desc: str
    dest: str
    uri: str
    status: str = "REGED"


@dataclass(frozen=True, slots=True)
class Roster:
    """Extensions, ring groups (``"500": ("201", "202")``) and trunks of one PBX domain."""

    extensions: tuple[Extension, ...]
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    trunks: tuple[Trunk, ...] = ()

    def extension(self, num: str) -> Extension | None:
        return next((e for e in self.extensions if e.num == num), None)

    def trunk(self, num: str) -> Trunk | None:
        return next((t for t in self.trunks if t.num == num), None)

    def is_extension(self, num: str) -> bool:
        return self.extension(num) is not None

    def members(self, num: str) -> tuple[str, ...]:
        """Extensions that ring for ``num``: a group's members, or the extension itself."""
        if num in self.groups:
            return self.groups[num]
        return (num,) if self.is_extension(num) else ()

    def name_of(self, num: str) -> str:
        ext = self.extension(num)
        return ext.name if ext else num

    @property
    def main_trunk(self) -> str:
        return self.trunks[0].num if self.trunks else "74951112233"

    @classmethod
    def default(cls) -> Roster:
        """A small Moscow office: six phones, a sales group 500, two trunks."""
        phones = [
            ("201", "Анна Смирнова", "Yealink SIP-T46S 66.86.0.15", "192.168.1.21"),
            ("202", "Иван Петров", "Yealink SIP-T21P E2 52.84.0.15", "192.168.1.22"),
            ("203", "Ольга Кузнецова", "Cisco/SPA303-7.4.9c", "192.168.1.23"),
            ("204", "Дмитрий Волков", "Grandstream GXP1625 1.0.4.128", "192.168.1.24"),
            ("205", "Мария Соколова", "MicroSIP/3.21.3", "192.168.1.25"),
            ("206", "Сергей Попов", "Zoiper rv2.10.19.3", "192.168.1.26"),
        ]
        exts = tuple(
            Extension(num, name, agent, f"213.222.45.{80 + i}", lip, 5060 + i)
            for i, (num, name, agent, lip) in enumerate(phones)
        )
        trunks = (
            Trunk("74951112233", "Мультифон", "500", "74951112233@sip.multifon.ru"),
            Trunk("88001006729", "8-800 Zebra", "500", "005815@sip.zebra.ru"),
        )
        return cls(exts, {"500": ("201", "202", "203"), "600": ("204", "205")}, trunks)
