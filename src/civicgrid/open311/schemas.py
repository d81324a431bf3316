"""The answers of the Open311 server as plain mappings, in the specification's field order;
:mod:`.api` sends them as JSON or, through :mod:`.xml`, as XML. Only public fields: never the
caller's name, phone or e-mail, nor staff names or internal notes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from civicgrid.appeals.queries.public import PublicStep
from civicgrid.appeals.states import AppealStatus
from civicgrid.open311 import rules
from civicgrid.open311.queries import RequestView

Row = dict[str, Any]


def when(value: datetime | None) -> str | None:
    """ISO 8601 with its zone (timestamps are stored in UTC)."""
    return value.isoformat() if value is not None else None


def service_row(service: rules.Service) -> Row:
    return {
        "service_code": service.code,
        "service_name": service.name,
        "description": service.description,
        "metadata": service.metadata,
        "type": "realtime",
        "keywords": ",".join(service.keywords),
        "group": service.group,
    }


def definition_row(service: rules.Service) -> Row:
    return {
        "service_code": service.code,
        "attributes": [
            {
                "variable": a.variable,
                "code": a.code,
                "datatype": a.datatype.value,
                "required": a.required,
                "datatype_description": a.datatype_description,
                "order": a.order,
                "description": a.description,
                "values": [{"key": k, "name": n} for k, n in a.values],
            }
            for a in service.attributes
        ],
    }


def request_row(view: RequestView, service_names: dict[str, str]) -> Row:
    state, record = view.state, view.record
    return {
        "service_request_id": state.number,
        "status": rules.request_status(state.status).value,
        "status_notes": state.public_note,
        "service_name": service_names.get(record.service_code, ""),
        "service_code": record.service_code,
        "description": record.description,
        "agency_responsible": state.lead_unit,
        "service_notice": "",
        "requested_datetime": when(state.received_at),
        "updated_datetime": when(state.updated_at),
        "expected_datetime": when(state.due_at),
        "address": state.address,
        "address_id": record.address_id,
        "zipcode": "",
        "lat": state.lat,
        "long": state.lon,
        "media_url": record.media_url,
    }


def created_row(number: str, account_id: str) -> Row:
    return {
        "service_request_id": number,
        "service_notice": f"诉求已受理，工单编号 {number}，可凭此编号查询办理进度。",
        "account_id": account_id or None,
    }


def update_row(step: PublicStep) -> Row:
    return {
        "update_id": str(step.event_id),
        "service_request_id": step.number,
        "status": rules.extended_status(step.action, step.to_status),
        "updated_datetime": when(step.at),
        "description": step.note or _step_text(step),
        "media_url": "",
    }


def _step_text(step: PublicStep) -> str:
    """A step without a text to the caller reads as its new status (已派单, 办理中 …)."""
    return AppealStatus(step.to_status).label


def error_rows(code: int, descriptions: Sequence[str]) -> list[Row]:
    return [{"code": code, "description": d} for d in descriptions]
