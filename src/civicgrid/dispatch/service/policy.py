"""The thresholds of smart dispatch (target accuracy, unit confidence, duplicates) and the
urgency that catalogue items imply."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from civicgrid.appeals.deadlines import UrgencyLevel
from civicgrid.dispatch.duplicates import DuplicatePolicy
from civicgrid.dispatch.routing import AutoRoutePolicy, RoutingThresholds

URGENCY_BY_CODE: Final = {
    "L1": UrgencyLevel.EMERGENCY,
    "L2": UrgencyLevel.UTILITY,
    "L3": UrgencyLevel.GENERAL,
    "L4": UrgencyLevel.COMPLEX,
}
_URGENCY_ORDER: Final = [
    UrgencyLevel.EMERGENCY,
    UrgencyLevel.UTILITY,
    UrgencyLevel.GENERAL,
    UrgencyLevel.COMPLEX,
]


@dataclass(frozen=True, slots=True)
class DispatchPolicy:
    """Thresholds of smart dispatch (configurable; see :func:`policy_from_settings`)."""

    target_accuracy: float = 0.97
    """Accuracy automatic dispatch must reach: the model's top category is used without a
    person only at or above the probability the model calibrated for this target (per
    label, on held-out data at training time; see :mod:`civicgrid.dispatch.routing`)."""
    route_threshold: float = 0.8
    """Routing confidence below which the unit goes to the dispatcher."""
    top_k: int = 3
    duplicates: DuplicatePolicy = field(default_factory=DuplicatePolicy)
    auto_route_days: int = 3
    """The background job routes appeals received at most this many days ago."""
    auto_route_batch: int = 200
    """At most this many appeals per run of the background job."""

    def auto_route(self, thresholds: RoutingThresholds | None) -> AutoRoutePolicy:
        """The pure policy of :func:`~civicgrid.dispatch.routing.decide_auto_dispatch` with
        the thresholds of the model in use."""
        return AutoRoutePolicy(self.target_accuracy, self.route_threshold, thresholds)


def policy_from_settings(settings: object) -> DispatchPolicy:
    """The policy from ``CIVICGRID_DISPATCH_*`` settings where they exist, else defaults."""
    base = DispatchPolicy()
    dup = base.duplicates

    def get(name: str, default: float) -> float:
        value = getattr(settings, name, None)
        return float(value) if isinstance(value, int | float) else default

    return DispatchPolicy(
        target_accuracy=get("dispatch_auto_route_target_accuracy", base.target_accuracy),
        route_threshold=get("dispatch_route_threshold", base.route_threshold),
        top_k=base.top_k,
        duplicates=DuplicatePolicy(
            window_days=int(get("dispatch_duplicate_days", dup.window_days)),
            radius_m=get("dispatch_duplicate_metres", dup.radius_m),
            min_similarity=get("dispatch_duplicate_similarity", dup.min_similarity),
            auto_merge_at=get("dispatch_auto_merge_at", dup.auto_merge_at),
        ),
        auto_route_days=int(get("dispatch_auto_route_days", base.auto_route_days)),
        auto_route_batch=int(get("dispatch_auto_route_batch", base.auto_route_batch)),
    )


def more_urgent(a: UrgencyLevel, b: UrgencyLevel | None) -> UrgencyLevel:
    """The more urgent of two levels (``b`` may be unknown)."""
    if b is None:
        return a
    return min(a, b, key=_URGENCY_ORDER.index)
