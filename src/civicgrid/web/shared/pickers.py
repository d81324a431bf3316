"""Region pickers: the regions a user may choose in a form, by name and grouped under their
parent, limited to the user's data scope. The select works without JavaScript (browsers search
a select by typing); the form posts the region's code as before."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from civicgrid.auth.actor import Actor
from civicgrid.territory import queries as territory_queries


@dataclass(frozen=True, slots=True)
class PickerGroup:
    """One ``<optgroup>``: the parent's name and its (code, name) choices."""

    label: str
    choices: list[tuple[str, str]]


def region_groups(session: Session, actor: Actor, levels: tuple[str, ...]) -> list[PickerGroup]:
    """The regions at ``levels`` inside the actor's scope, grouped under their parent's name
    (parents before children, by code)."""
    regions = territory_queries.all_regions(session)
    names = {r.id: r.name for r in regions}
    groups: dict[str, list[tuple[str, str]]] = {}
    for r in regions:
        if r.level not in levels or not actor.scope.covers_path(r.path):
            continue
        parent = names.get(r.parent_id, "") if r.parent_id is not None else ""
        label = f"{r.name}（{parent}）" if parent and r.level == "community" else r.name
        groups.setdefault(parent or "本辖区", []).append((r.code, label))
    return [PickerGroup(label, choices) for label, choices in groups.items()]
