"""Pydantic shapes of the dispatch API (``/api/v1/dispatch``) and their builders."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from civicgrid.dispatch.catalogue import CatalogueItem
from civicgrid.dispatch.duplicates import DuplicateCandidate
from civicgrid.dispatch.models import CatalogueItemRow
from civicgrid.dispatch.normalise import MAX_TEXT_CHARS
from civicgrid.dispatch.routing import Place, RoutingDecision
from civicgrid.dispatch.service import (
    AutoRoutePlan,
    Classification,
    DispatchSuggestion,
    ExplainedClassification,
    LoadResult,
)

OwnerRuleText = Literal["street", "department", "utility", "knowledge_base", "none"]
UrgencyText = Literal["L1", "L2", "L3", "L4"]


class ClassifyRequest(BaseModel):
    """Text to classify, optionally with its place (for the unit the owner rules pick; without
    one the place is parsed from the text). The length limit is checked by the service."""

    text: str = Field(max_length=MAX_TEXT_CHARS * 2)
    k: int = Field(default=3, ge=1, le=20)
    address: str = Field(default="", max_length=255)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    region_id: int | None = None


class WordOut(BaseModel):
    text: str
    share: float
    """Share of the category's positive evidence in this text (0–1)."""


class CategoryOut(BaseModel):
    label: str
    probability: float
    code: str | None
    name: str | None
    path: list[str]
    owner_rule: str | None
    words: list[WordOut] = []


class CatalogueEntryOut(BaseModel):
    code: str
    parent_code: str | None
    level: int
    name: str
    owner_rule: str
    owner_unit: str


class ClassificationOut(BaseModel):
    model_version: str | None
    manual: bool
    reason: str
    items: list[CategoryOut]


class ExplainedClassificationOut(ClassificationOut):
    first_level: CatalogueEntryOut | None
    catalogue_items: list[CatalogueEntryOut]
    """The level-2/3 items under the top category's first level."""
    place: PlaceOut
    routing: RoutingOut
    """The unit the owner rule of the top category picks at the place."""


class PlaceOut(BaseModel):
    source: str
    confidence: float
    region_id: int | None
    street: str | None
    district: str | None
    detail: str


class RoutingOut(BaseModel):
    rule: str
    rule_label: str
    reason: str
    unit_kind: str | None
    unit_id: int | None
    unit_name: str
    confidence: float


class DuplicateOut(BaseModel):
    appeal_id: int
    number: str
    status: str
    received_at: datetime
    score: float
    text_similarity: float
    distance_m: float | None
    place_reason: str
    excerpt: str


class SuggestRequest(BaseModel):
    """An appeal by id, or a text with its place (for intake before the appeal is saved)."""

    appeal_id: int | None = None
    text: str = Field(default="", max_length=MAX_TEXT_CHARS * 2)
    address: str = Field(default="", max_length=255)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    region_id: int | None = None
    code: str | None = Field(default=None, max_length=6)


class SuggestionOut(BaseModel):
    classification: ClassificationOut
    category_code: str | None
    category_path: list[str]
    level: str | None
    place: PlaceOut
    routing: RoutingOut
    duplicates: list[DuplicateOut]
    auto_dispatch: bool
    reasons: list[str]


class AutoRouteOut(BaseModel):
    action: Literal["dispatch", "merge", "manual"]
    reason: str
    appeal_id: int
    status: str
    version: int
    suggestion: SuggestionOut | None


class FeedbackRequest(BaseModel):
    chosen_code: str = Field(min_length=2, max_length=6)


class FeedbackOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    appeal_id: int
    predicted_label: str
    predicted_probability: float | None
    model_version: str
    chosen_code: str
    actor_label: str
    at: datetime


class CatalogueItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    parent_code: str | None
    level: int
    name: str
    owner_rule: str
    owner_unit: str
    default_level: str
    default_finish_days: int
    requires_site_visit: bool
    whistle_candidate: bool
    keywords: str
    is_active: bool
    version: str
    updated_at: datetime


class CatalogueItemIn(BaseModel):
    """A new item; parents must exist, the tree rules are checked by the service."""

    code: str = Field(pattern=r"^(?:\d{2}){1,3}$")
    parent_code: str | None = Field(default=None, max_length=6)
    name: str = Field(min_length=1, max_length=100)
    owner_rule: OwnerRuleText = "none"
    owner_unit: str = Field(default="", max_length=50)
    default_level: UrgencyText = "L3"
    default_finish_days: int = Field(default=7, ge=1, le=365)
    requires_site_visit: bool = False
    whistle_candidate: bool = False
    keywords: list[str] = Field(default_factory=list, max_length=30)
    is_active: bool = True


class CatalogueItemPatch(BaseModel):
    """Fields to change; omitted fields stay."""

    parent_code: str | None = Field(default=None, max_length=6)
    name: str | None = Field(default=None, min_length=1, max_length=100)
    owner_rule: OwnerRuleText | None = None
    owner_unit: str | None = Field(default=None, max_length=50)
    default_level: UrgencyText | None = None
    default_finish_days: int | None = Field(default=None, ge=1, le=365)
    requires_site_visit: bool | None = None
    whistle_candidate: bool | None = None
    keywords: list[str] | None = Field(default=None, max_length=30)
    is_active: bool | None = None


class LoadResultOut(BaseModel):
    version: str
    created: int
    updated: int
    unchanged: int
    deactivated: int


class QueueItemOut(BaseModel):
    appeal_id: int
    number: str
    title: str
    status: str
    received_at: datetime
    dispatch_due_at: datetime | None


# --- builders --------------------------------------------------------------------------------


def classification_out(c: Classification) -> ClassificationOut:
    return ClassificationOut(
        model_version=c.model_version,
        manual=c.manual,
        reason=c.reason,
        items=[
            CategoryOut(
                label=s.label,
                probability=s.probability,
                code=s.item.code if s.item else None,
                name=s.item.name if s.item else None,
                path=list(s.path),
                owner_rule=s.item.owner_rule.value if s.item else None,
                words=[WordOut(text=w, share=share) for w, share in s.words],
            )
            for s in c.suggestions
        ],
    )


def catalogue_entry_out(item: CatalogueItem) -> CatalogueEntryOut:
    return CatalogueEntryOut(
        code=item.code,
        parent_code=item.parent_code,
        level=item.level,
        name=item.name,
        owner_rule=item.owner_rule.value,
        owner_unit=item.owner_unit,
    )


def explained_out(e: ExplainedClassification) -> ExplainedClassificationOut:
    base = classification_out(e.classification)
    return ExplainedClassificationOut(
        **base.model_dump(),
        first_level=catalogue_entry_out(e.first_level) if e.first_level else None,
        catalogue_items=[catalogue_entry_out(i) for i in e.items_below],
        place=place_out(e.place),
        routing=routing_out(e.decision),
    )


def place_out(p: Place) -> PlaceOut:
    return PlaceOut(
        source=p.source,
        confidence=p.confidence,
        region_id=p.region_id,
        street=p.street.name if p.street else None,
        district=p.district.name if p.district else None,
        detail=p.detail,
    )


def routing_out(d: RoutingDecision) -> RoutingOut:
    return RoutingOut(
        rule=d.rule.value,
        rule_label=d.rule.label,
        reason=d.reason,
        unit_kind=d.unit_kind,
        unit_id=d.unit_id,
        unit_name=d.unit_name,
        confidence=d.confidence,
    )


def duplicate_out(c: DuplicateCandidate) -> DuplicateOut:
    return DuplicateOut(
        appeal_id=c.appeal.id,
        number=c.appeal.number,
        status=c.appeal.status,
        received_at=c.appeal.received_at,
        score=c.score,
        text_similarity=c.text_similarity,
        distance_m=round(c.distance_m, 1) if c.distance_m is not None else None,
        place_reason=c.place_reason,
        excerpt=c.appeal.text[:120],
    )


def suggestion_out(s: DispatchSuggestion) -> SuggestionOut:
    return SuggestionOut(
        classification=classification_out(s.classification),
        category_code=s.item.code if s.item else None,
        category_path=list(s.item_path),
        level=s.level.value if s.level else None,
        place=place_out(s.place),
        routing=routing_out(s.decision),
        duplicates=[duplicate_out(d) for d in s.duplicates],
        auto_dispatch=s.auto_dispatch,
        reasons=list(s.reasons),
    )


def auto_route_out(plan: AutoRoutePlan, appeal_id: int, status: str, version: int) -> AutoRouteOut:
    action: Literal["dispatch", "merge", "manual"] = (
        "dispatch" if plan.action == "dispatch" else "merge" if plan.action == "merge" else "manual"
    )
    return AutoRouteOut(
        action=action,
        reason=plan.reason,
        appeal_id=appeal_id,
        status=status,
        version=version,
        suggestion=suggestion_out(plan.suggestion) if plan.suggestion else None,
    )


def load_result_out(r: LoadResult) -> LoadResultOut:
    return LoadResultOut(**r.as_dict())


def catalogue_item_out(row: CatalogueItemRow) -> CatalogueItemOut:
    return CatalogueItemOut.model_validate(row)
