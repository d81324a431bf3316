"""Use cases of volunteer service, split by concept (teams, registration, orders, records,
certificates); import them from here. Teams, 双报到 of party organisations and serving party
members, volunteer registration, service orders (点单 → 派单 → 接单 → 服务 → 确认 → 评价),
service records with hours, and certificates. One transaction each, audited.
"""

from civicgrid.participation.volunteers.service.certificates import issue_certificate
from civicgrid.participation.volunteers.service.orders import (
    NewOrder,
    assign_order,
    cancel_order,
    confirm_service,
    place_order,
    rate_order,
    take_order,
)
from civicgrid.participation.volunteers.service.records import record_activity, record_service
from civicgrid.participation.volunteers.service.registration import (
    NewVolunteer,
    join_team,
    register_volunteer,
)
from civicgrid.participation.volunteers.service.teams import create_team, register_party_org

__all__ = [
    "NewOrder",
    "NewVolunteer",
    "assign_order",
    "cancel_order",
    "confirm_service",
    "create_team",
    "issue_certificate",
    "join_team",
    "place_order",
    "rate_order",
    "record_activity",
    "record_service",
    "register_party_org",
    "register_volunteer",
    "take_order",
]
