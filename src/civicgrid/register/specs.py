"""What a bulk creation of the register is made of: houses to ensure and resident rows. Pure:
plain values, no I/O (the demo city's generator builds them without touching the database;
``register.bulk`` and ``register.exchange.create_register_bulk`` load them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from civicgrid.register.rows import RegisterRow


@dataclass(frozen=True)
class HouseSpec:
    """A house to ensure (with or without residents): where it is and what it is."""

    grid_code: str
    address: str
    building: str
    unit: str
    room: str
    area_m2: float | None = None
    use: str = "residential"
    is_vacant: bool = False
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class RegisterSpec:
    """A whole register to create at once: houses (with vacancy, area, use and tags) and
    resident rows (the import row format)."""

    houses: Sequence[HouseSpec]
    rows: Sequence[RegisterRow]
