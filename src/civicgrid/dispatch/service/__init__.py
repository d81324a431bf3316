"""Dispatch use cases and read services, split by concept; import them from here.

- :mod:`.catalogue` — the catalogue in the database: load a file, edit an item;
- :mod:`.classify` — text → catalogue items, with the manual-queue answers;
- :mod:`.explain` — a classification with why: words, the first level's items, the unit;
- :mod:`.placing` — where an appeal is and who answers for it there;
- :mod:`.suggest` — the dispatcher's suggestion (category, place, unit, duplicates, urgency)
  and the duplicate candidates of an appeal;
- :mod:`.auto_route` — automatic routing, on request and as a background job;
- :mod:`.feedback` — dispatchers' corrections and training pairs from the database;
- :mod:`.retrain` — learning from corrections: a candidate model, promoted when not worse;
- :mod:`.policy` — the configurable thresholds.

Functions marked ``@use_case`` are one transaction each; the others only read, except the
orchestration in :mod:`.auto_route`, which runs one use case per appeal.
"""

from civicgrid.dispatch.service.auto_route import (
    AUTO_ROUTE_ACTOR,
    AutoRoutePlan,
    AutoRouteResult,
    AutoRouteRun,
    dispatch_routed,
    plan_auto_route,
    record_attempt,
    route_new_appeals,
    run_auto_route,
)
from civicgrid.dispatch.service.catalogue import (
    EDITABLE,
    SUBJECT,
    LoadResult,
    default_catalogue,
    load_catalogue,
    save_item,
)
from civicgrid.dispatch.service.classify import (
    MODELS,
    CategorySuggestion,
    Classification,
    classify_text,
    loaded_model_version,
)
from civicgrid.dispatch.service.explain import (
    ExplainedClassification,
    explain_appeal,
    explain_text,
)
from civicgrid.dispatch.service.feedback import record_feedback, training_pairs
from civicgrid.dispatch.service.placing import decide_route, resolve_place
from civicgrid.dispatch.service.policy import (
    URGENCY_BY_CODE,
    DispatchPolicy,
    policy_from_settings,
)
from civicgrid.dispatch.service.retrain import RetrainResult, retrain, retrain_due
from civicgrid.dispatch.service.suggest import (
    DispatchSuggestion,
    duplicates_for,
    suggest_dispatch,
)

__all__ = [
    "AUTO_ROUTE_ACTOR",
    "EDITABLE",
    "MODELS",
    "SUBJECT",
    "URGENCY_BY_CODE",
    "AutoRoutePlan",
    "AutoRouteResult",
    "AutoRouteRun",
    "CategorySuggestion",
    "Classification",
    "DispatchPolicy",
    "DispatchSuggestion",
    "ExplainedClassification",
    "LoadResult",
    "RetrainResult",
    "classify_text",
    "decide_route",
    "default_catalogue",
    "dispatch_routed",
    "duplicates_for",
    "explain_appeal",
    "explain_text",
    "load_catalogue",
    "loaded_model_version",
    "plan_auto_route",
    "policy_from_settings",
    "record_attempt",
    "record_feedback",
    "resolve_place",
    "retrain",
    "retrain_due",
    "route_new_appeals",
    "run_auto_route",
    "save_item",
    "suggest_dispatch",
    "training_pairs",
]
