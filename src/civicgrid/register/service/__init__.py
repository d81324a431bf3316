"""Use cases of the register, split by concept (tags, housing, residents, visits); import them
from here. Each is one transaction (``@use_case``) that checks roles and
data scope through :mod:`civicgrid.register.access`, writes its rows and an audit row.

Errors: Forbidden (role, or a grid outside the scope on writes), NotFound (missing or out of
scope on reads), Invalid (bad input), Conflict (a natural key or an ID number already taken).
"""

from civicgrid.register.service.housing import (
    create_address,
    create_building,
    create_house,
    register_house,
    set_house_vacancy,
    update_house,
)
from civicgrid.register.service.residents import (
    move_resident,
    register_resident,
    reveal_resident,
    update_resident,
)
from civicgrid.register.service.tags import (
    create_tag,
    ensure_default_tags,
    tag_house,
    tag_resident,
    untag_house,
    untag_resident,
)
from civicgrid.register.service.visits import (
    record_patrol,
    record_visit,
)

__all__ = [
    "create_address",
    "create_building",
    "create_house",
    "create_tag",
    "ensure_default_tags",
    "move_resident",
    "record_patrol",
    "record_visit",
    "register_house",
    "register_resident",
    "reveal_resident",
    "set_house_vacancy",
    "tag_house",
    "tag_resident",
    "untag_house",
    "untag_resident",
    "update_house",
    "update_resident",
]
