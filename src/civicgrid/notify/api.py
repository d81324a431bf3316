"""JSON API of notices to people (/api/v1/notices): the Chinese templates admins edit, opt-outs
(退订) recorded by the centre, and each staff member's own deadline-warning preference."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from civicgrid.auth.actor import Actor
from civicgrid.auth.deps import CurrentActor, require_roles
from civicgrid.auth.roles import Role
from civicgrid.deps import AppSettings, DbSession, Now, field_cipher
from civicgrid.errors import NotFound
from civicgrid.kit.masking import mask_phone
from civicgrid.notify import notices
from civicgrid.notify.addresses import SMS
from civicgrid.notify.templates import PLACEHOLDERS, NoticeKind, NoticeText

router = APIRouter(prefix="/api/v1/notices", tags=["notices"])

AdminActor = Annotated[Actor, Depends(require_roles(Role.ADMIN))]
CentreActor = Annotated[Actor, Depends(require_roles(Role.ADMIN, Role.OPERATOR, Role.DISPATCHER))]


class TemplateRead(BaseModel):
    kind: str
    label: str
    subject: str
    body: str
    customised: bool = Field(description="管理员改过（否则为系统默认文字）")
    placeholders: dict[str, str]


class TemplateWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str = Field(max_length=1000)
    body: str = Field(max_length=5000)


class OptOutRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: str = Field(default=SMS, description="sms 或 email")
    address: str = Field(max_length=254, description="手机号码或电子邮件地址")


class OptOutRead(BaseModel):
    recorded: bool = Field(description="false：此前已退订")


class PreferenceWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: str = Field(description="sms 或 email")
    address: str = Field(max_length=254)
    deadline_warnings: bool = True


class PreferenceRead(BaseModel):
    channel: str
    address: str = Field(description="已打码")
    deadline_warnings: bool
    units: list[str]


def _template(kind: NoticeKind, text: NoticeText, customised: bool) -> TemplateRead:
    return TemplateRead(
        kind=kind.value,
        label=kind.label,
        subject=text.subject,
        body=text.body,
        customised=customised,
        placeholders=PLACEHOLDERS[kind],
    )


def _masked(channel: str, address: str) -> str:
    if channel == SMS:
        return mask_phone(address)
    name, _, domain = address.partition("@")
    return f"{name[:1]}***@{domain}"


@router.get("/templates", response_model=list[TemplateRead], summary="通知模板")
def list_templates(actor: AdminActor, session: DbSession) -> list[TemplateRead]:
    return [_template(k, t, c) for k, t, c in notices.list_templates(session)]


@router.put("/templates/{kind}", response_model=TemplateRead, summary="修改通知模板")
def save_template(
    actor: AdminActor, session: DbSession, now: Now, kind: str, body: TemplateWrite
) -> TemplateRead:
    """422 (nothing stored) for an empty or over-long text or a placeholder the kind does not
    offer; 404 for an unknown kind."""
    text = notices.save_template(
        session, kind=kind, subject=body.subject, body=body.body, actor=actor, now=now
    )
    return _template(NoticeKind(kind), text, True)


@router.delete("/templates/{kind}", response_model=TemplateRead, summary="恢复默认模板")
def reset_template(actor: AdminActor, session: DbSession, now: Now, kind: str) -> TemplateRead:
    text = notices.reset_template(session, kind=kind, actor=actor, now=now)
    return _template(NoticeKind(kind), text, False)


@router.post("/opt-outs", response_model=OptOutRead, summary="登记退订")
def opt_out(
    actor: CentreActor, session: DbSession, now: Now, settings: AppSettings, body: OptOutRequest
) -> OptOutRead:
    recorded = notices.opt_out(
        session,
        channel=body.channel,
        address=body.address,
        cipher=field_cipher(settings),
        actor=actor,
        now=now,
    )
    return OptOutRead(recorded=recorded)


@router.get("/preference", response_model=PreferenceRead, summary="我的时限预警通知方式")
def read_preference(
    actor: CurrentActor, session: DbSession, settings: AppSettings
) -> PreferenceRead:
    found = notices.find_preference(session, actor.user_id) if actor.user_id else None
    if found is None:
        raise NotFound("尚未设置通知方式 (no preference set)")
    address = field_cipher(settings).decrypt(found.address_enc)
    return PreferenceRead(
        channel=found.channel,
        address=_masked(found.channel, address),
        deadline_warnings=found.deadline_warnings,
        units=list(found.units),
    )


@router.put("/preference", response_model=PreferenceRead, summary="设置时限预警通知方式")
def save_preference(
    actor: CurrentActor,
    session: DbSession,
    now: Now,
    settings: AppSettings,
    body: PreferenceWrite,
) -> PreferenceRead:
    saved = notices.save_preference(
        session,
        channel=body.channel,
        address=body.address,
        deadline_warnings=body.deadline_warnings,
        cipher=field_cipher(settings),
        actor=actor,
        now=now,
    )
    return PreferenceRead(
        channel=saved.channel,
        address=_masked(saved.channel, body.address.strip()),
        deadline_warnings=saved.deadline_warnings,
        units=list(saved.units),
    )
