"""Automatic routing (智能派单): merge a near-certain duplicate, or dispatch when category and
unit are confident, else leave the appeal in the dispatcher's manual queue with the reasons.

Transactions: :func:`plan_auto_route` only reads. :func:`run_auto_route` is orchestration (an
API route, the CLI or the background job calls it, never a use case): it reads the plan, then
runs exactly one use case —

- ``dispatch``: :func:`dispatch_routed`, which dispatches through the appeals package's joiner
  and, in the same transaction, records the category it classified, the timeline event with
  the rule that decided and why, the audit row and the routing attempt (``dispatched``);
- ``merge``: the appeals package's ``merge`` use case (the appeal follows the older one),
  then the attempt (``merged``) in a transaction of its own;
- ``manual`` for an appeal waiting for dispatch: :func:`record_attempt`, a
  :class:`~civicgrid.dispatch.models.RoutingAttempt` (``manual``) with the reasons and the
  classifier version used (``"none"`` when no model could be loaded), which also tells the
  background job that the appeal was tried with that version. The audit log is not written:
  nothing changed.

:func:`route_new_appeals` is the background job: appeals waiting for dispatch that were never
dispatched nor tried with the current model version, received within the last
``auto_route_days``, oldest first, each in its own transaction (one appeal's refusal does not
undo another's dispatch). An appeal is thus tried at most once per model version: after a
new model is trained, the appeals still waiting in the manual queue get one more attempt,
whatever kept them there (category, place or unit). Running it twice with the same model
changes nothing the second time. An appeal whose plan is refused when carried out, or whose
processing fails with an unexpected error (odd text, a database error), is rolled back alone
and recorded as an attempt with that version (``refused`` / ``failed``), so it never blocks
the appeals received after it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from sqlalchemy.orm import Session

from civicgrid.appeals import queries as appeal_queries
from civicgrid.appeals import service as appeal_service
from civicgrid.appeals.models import Appeal
from civicgrid.appeals.service.handling import dispatch_joined
from civicgrid.appeals.states import AppealStatus
from civicgrid.auth.actor import Actor
from civicgrid.db import use_case
from civicgrid.dispatch import queries
from civicgrid.dispatch.models import RoutingAttempt
from civicgrid.dispatch.queries import AttemptOutcome
from civicgrid.dispatch.service.classify import loaded_model_version
from civicgrid.dispatch.service.policy import DispatchPolicy
from civicgrid.dispatch.service.suggest import DispatchSuggestion, SharedReads, suggest_dispatch
from civicgrid.errors import DomainError

AUTO_ROUTE_ACTOR: Final = Actor.system("auto-route")
FAILED_REASON: Final = "自动分派出错，转人工"
"""Attempt reason (followed by the error's class name) when routing an appeal failed."""

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AutoRoutePlan:
    """What automatic routing will do: ``dispatch``, ``merge`` or ``manual`` (and why)."""

    action: str
    reason: str
    suggestion: DispatchSuggestion | None = None
    target_number: str = ""
    version: int | None = None
    """The appeal's version when planned; the change is refused (409) if it moved since."""


def plan_auto_route(
    session: Session,
    *,
    appeal_id: int,
    actor: Actor,
    models_dir: Path,
    now: datetime,
    policy: DispatchPolicy | None = None,
    shared: SharedReads | None = None,
) -> AutoRoutePlan:
    """Decide, without writing, whether ``appeal_id`` can be merged into a duplicate (score ≥
    the strict auto-merge threshold) or dispatched (appeal pending dispatch, category and unit
    above their thresholds). Anything else stays in the manual queue."""
    policy = policy or DispatchPolicy()
    appeal = appeal_queries.by_id_for(session, actor, appeal_id)
    if appeal.status != AppealStatus.PENDING_DISPATCH.value:
        return AutoRoutePlan(
            "manual", f"工单状态为“{AppealStatus(appeal.status).label}”，只有待派单工单可自动派单"
        )
    version = appeal.version
    suggestion = suggest_dispatch(
        session,
        actor=actor,
        models_dir=models_dir,
        now=now,
        policy=policy,
        appeal=appeal,
        shared=shared,
    )
    older = [d for d in suggestion.duplicates if d.appeal.received_at <= appeal.received_at]
    if older and older[0].score >= policy.duplicates.auto_merge_at:
        best = older[0]
        return AutoRoutePlan(
            "merge",
            f"与工单 {best.appeal.number} 高度重复"
            f"（相似度 {best.score:.2f}，{best.place_reason}），自动并单",
            suggestion,
            best.appeal.number,
            version,
        )
    if not suggestion.auto_dispatch:
        reason = "；".join(suggestion.reasons) or "需人工派单"
        return AutoRoutePlan("manual", reason, suggestion, version=version)
    decision = suggestion.decision
    item = suggestion.item
    assert item is not None
    return AutoRoutePlan(
        "dispatch",
        f"智能派单：类别“{item.name}”（{item.code}）；{decision.rule.label}：{decision.reason}",
        suggestion,
        version=version,
    )


@dataclass(frozen=True, slots=True)
class AutoRouteResult:
    """The plan and the appeal after it was carried out (unchanged for ``manual``)."""

    plan: AutoRoutePlan
    appeal: Appeal


@use_case
def dispatch_routed(
    session: Session, *, appeal_id: int, plan: AutoRoutePlan, actor: Actor, now: datetime
) -> Appeal:
    """Carry out a ``dispatch`` plan in one transaction: the dispatch to the unit the rule
    chose, the classified category recorded on the appeal, the timeline event whose note is
    the reason and whose detail names the rule, the place and the confidences, and the audit
    row. 409 when the appeal changed since it was planned."""
    suggestion = plan.suggestion
    assert plan.action == "dispatch"
    assert suggestion is not None
    assert suggestion.item is not None
    decision = suggestion.decision
    assert decision.unit_kind is not None
    assert decision.unit_id is not None
    top = suggestion.classification.top
    model_version = suggestion.classification.model_version
    _add_attempt(
        session,
        appeal_id=appeal_id,
        outcome=AttemptOutcome.DISPATCHED,
        reason=plan.reason,
        model_version=model_version or queries.NO_MODEL,
        now=now,
    )
    return dispatch_joined(
        session,
        appeal_id=appeal_id,
        lead=(decision.unit_kind, decision.unit_id),
        level=suggestion.level,
        note=plan.reason,
        actor=actor,
        now=now,
        expected_version=plan.version,
        category=suggestion.item.code,
        basis={
            "by": "auto_route",
            "rule": decision.rule.value,
            "confidence": decision.confidence,
            "place": suggestion.place.source,
            "place_detail": suggestion.place.detail,
            "model_version": model_version,
            "probability": top.probability if top is not None else None,
        },
    )


def _add_attempt(
    session: Session,
    *,
    appeal_id: int,
    outcome: AttemptOutcome,
    reason: str,
    model_version: str,
    now: datetime,
) -> None:
    session.add(
        RoutingAttempt(
            appeal_id=appeal_id,
            model_version=model_version[:64],
            outcome=outcome.value,
            reason=reason[:2000],
            at=now,
        )
    )


@use_case
def record_attempt(
    session: Session,
    *,
    appeal_id: int,
    outcome: AttemptOutcome,
    reason: str,
    model_version: str,
    now: datetime,
) -> None:
    """Record that automatic routing tried ``appeal_id`` with the classifier
    ``model_version`` (:data:`~civicgrid.dispatch.queries.NO_MODEL` for none), how it ended
    and why."""
    _add_attempt(
        session,
        appeal_id=appeal_id,
        outcome=outcome,
        reason=reason,
        model_version=model_version,
        now=now,
    )


def run_auto_route(
    session: Session,
    *,
    appeal_id: int,
    actor: Actor,
    models_dir: Path,
    now: datetime,
    policy: DispatchPolicy | None = None,
    shared: SharedReads | None = None,
    model_version: str | None = None,
) -> AutoRouteResult:
    """Plan, then carry out the plan with exactly one use case (see the module docstring).
    Must not be called inside a use case. The attempt records the version the
    classification used; when it used none (no model, nothing to classify) it records
    ``model_version``, by default the version loadable now."""
    plan = plan_auto_route(
        session,
        appeal_id=appeal_id,
        actor=actor,
        models_dir=models_dir,
        now=now,
        policy=policy,
        shared=shared,
    )
    if plan.action == "merge":
        appeal = appeal_service.merge(
            session,
            appeal_id=appeal_id,
            target_number=plan.target_number,
            note=plan.reason,
            actor=actor,
            now=now,
            expected_version=plan.version,
        )
        if shared is not None:  # no longer open: the batch's later appeals do not see it
            shared.open_appeals.forget(appeal_id)
        used = plan.suggestion.classification.model_version if plan.suggestion else None
        record_attempt(
            session,
            appeal_id=appeal_id,
            outcome=AttemptOutcome.MERGED,
            reason=plan.reason,
            model_version=used or model_version or loaded_model_version(models_dir),
            now=now,
        )
        return AutoRouteResult(plan, appeal)
    if plan.action == "dispatch":
        appeal = dispatch_routed(session, appeal_id=appeal_id, plan=plan, actor=actor, now=now)
        return AutoRouteResult(plan, appeal)
    if plan.suggestion is not None:  # waiting for dispatch: the dispatcher takes it over
        used = plan.suggestion.classification.model_version
        record_attempt(
            session,
            appeal_id=appeal_id,
            outcome=AttemptOutcome.MANUAL,
            reason=plan.reason,
            model_version=used or model_version or loaded_model_version(models_dir),
            now=now,
        )
    return AutoRouteResult(plan, appeal_queries.by_id_for(session, actor, appeal_id))


@dataclass(frozen=True, slots=True)
class AutoRouteRun:
    """What one run of the background job did."""

    scanned: int
    dispatched: int
    merged: int
    manual: int
    refused: int
    failed: int = 0
    """Appeals whose processing raised an unexpected error (logged, left to the dispatcher)."""

    def as_dict(self) -> dict[str, int]:
        return {
            "scanned": self.scanned,
            "dispatched": self.dispatched,
            "merged": self.merged,
            "manual": self.manual,
            "refused": self.refused,
            "failed": self.failed,
        }


def route_new_appeals(
    session: Session,
    *,
    now: datetime,
    models_dir: Path,
    policy: DispatchPolicy | None = None,
    actor: Actor = AUTO_ROUTE_ACTOR,
    shared: SharedReads | None = None,
) -> AutoRouteRun:
    """The background job (see the module docstring). The current model version is read
    once per run (``"none"`` when no model can be loaded); the queue holds the appeals not yet
    tried with it. An appeal whose plan is refused — a person dispatched or merged it
    meanwhile (409), the chosen unit was switched off — is rolled back alone and recorded as
    a ``refused`` attempt with the refusal as its reason; one whose processing raises any
    other error is logged, rolled back alone and recorded as a ``failed`` attempt with
    :data:`FAILED_REASON` and the error's class name; both record the run's model version.
    ``shared`` is the territory's names and the catalogue when the caller already has them
    (read once per run otherwise)."""
    policy = policy or DispatchPolicy()
    model_version = loaded_model_version(models_dir)
    ids = queries.unrouted_appeal_ids(
        session,
        since=now - timedelta(days=policy.auto_route_days),
        limit=policy.auto_route_batch,
        model_version=model_version,
    )
    counts = {"dispatch": 0, "merge": 0, "manual": 0}
    refused = failed = 0
    if ids and shared is None:
        shared = SharedReads.read(session)
    for appeal_id in ids:
        try:
            result = run_auto_route(
                session,
                appeal_id=appeal_id,
                actor=actor,
                models_dir=models_dir,
                now=now,
                policy=policy,
                shared=shared,
                model_version=model_version,
            )
        except DomainError as exc:
            session.rollback()
            refused += 1
            record_attempt(
                session,
                appeal_id=appeal_id,
                outcome=AttemptOutcome.REFUSED,
                reason=f"自动派单未能完成，转人工派单：{exc.message}",
                model_version=model_version,
                now=now,
            )
            continue
        except Exception as exc:  # one appeal's failure must not stop the queue behind it
            log.exception("automatic routing of appeal %s failed", appeal_id)
            session.rollback()
            failed += 1
            record_attempt(
                session,
                appeal_id=appeal_id,
                outcome=AttemptOutcome.FAILED,
                reason=f"{FAILED_REASON}（{type(exc).__name__}）",
                model_version=model_version,
                now=now,
            )
            continue
        counts[result.plan.action] = counts.get(result.plan.action, 0) + 1
    return AutoRouteRun(
        len(ids), counts["dispatch"], counts["merge"], counts["manual"], refused, failed
    )
