"""The default tag catalogue shipped as ``data/tags.csv`` (reference data, not a migration)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from civicgrid.register.rules import TagFamily, TagLevel, TagTarget

TAGS_FILE = Path(__file__).with_name("data") / "tags.csv"


@dataclass(frozen=True)
class TagDef:
    """One tag of the catalogue."""

    code: str
    name: str
    family: TagFamily
    level: TagLevel
    target: TagTarget
    is_sensitive: bool


def default_tags() -> list[TagDef]:
    """The shipped catalogue, in file order."""
    with TAGS_FILE.open(encoding="utf-8", newline="") as fh:
        return [
            TagDef(
                code=row["code"],
                name=row["name"],
                family=TagFamily(row["family"]),
                level=TagLevel(row["level"]),
                target=TagTarget(row["target"]),
                is_sensitive=row["is_sensitive"] == "1",
            )
            for row in csv.DictReader(fh)
        ]
