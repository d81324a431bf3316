"""Use cases of volunteer service, certificates: a certificate of the hours a volunteer served."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from civicgrid.auth.actor import Actor
from civicgrid.clock import to_beijing
from civicgrid.db import use_case
from civicgrid.errors import Invalid
from civicgrid.participation import access
from civicgrid.participation.fields import clean_text
from civicgrid.participation.volunteers import queries
from civicgrid.participation.volunteers import rules as r
from civicgrid.participation.volunteers.models import (
    ServiceCertificate,
)


@use_case
def issue_certificate(
    session: Session,
    *,
    volunteer_id: int,
    signer: str,
    handler: str,
    contact: str,
    actor: Actor,
    now: datetime,
) -> ServiceCertificate:
    """Issue a service certificate (志愿服务证明) over the volunteer's confirmed hours, free of
    charge, with number, issuer, responsible person, handler and contact (DOMAIN §6)."""
    access.require_manager(actor, "出具志愿服务证明")
    volunteer = queries.get_volunteer_for(session, actor, volunteer_id)
    access.check_scope(actor, volunteer.region_path, "志愿者", volunteer_id)
    records = [x for x in queries.records_of(session, volunteer.id) if x.confirmed_at]
    total = sum(x.minutes for x in records)
    if total <= 0:
        raise Invalid("该志愿者还没有经确认的服务时长，无法出具证明")
    code = access.region_code(session, volunteer.region_id)
    issuer = access.region_names(session, [volunteer.region_id]).get(volunteer.region_id, "")
    activities = list(dict.fromkeys(x.activity for x in records))
    cert = ServiceCertificate(
        number=r.certificate_number(
            code,
            to_beijing(now).year,
            queries.count_in(session, ServiceCertificate.region_path, volunteer.region_path) + 1,
        ),
        volunteer_id=volunteer.id,
        issuer=f"{issuer}居民委员会",
        signer=clean_text(signer, "负责人", 50),
        handler=clean_text(handler, "经办人", 50),
        contact=clean_text(contact, "联系电话", 50),
        minutes_total=total,
        record_count=len(records),
        content_summary="、".join(activities)[:2000],
        region_path=volunteer.region_path,
        issued_at=now,
    )
    access.add_unique(session, cert, "证明编号冲突，请重试")
    access.audit(
        session,
        actor,
        "participation.certificate.issue",
        "certificate",
        cert.id,
        now,
        volunteer_id=volunteer.id,
        minutes=total,
    )
    return cert
