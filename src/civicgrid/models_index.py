"""Imports every package's models so that ``Base.metadata`` is complete (Alembic, tests)."""

from civicgrid.appeals import models as appeals_models
from civicgrid.assessment import models as assessment_models
from civicgrid.audit import models as audit_models
from civicgrid.auth import models as auth_models
from civicgrid.demo import models as demo_models
from civicgrid.dispatch import models as dispatch_models
from civicgrid.events import models as events_models
from civicgrid.exchange import models as exchange_models
from civicgrid.insight import models as insight_models
from civicgrid.jobs import models as jobs_models
from civicgrid.notify import models as notify_models
from civicgrid.open311 import models as open311_models
from civicgrid.participation import models as participation_models
from civicgrid.protect import models as protect_models
from civicgrid.register import models as register_models
from civicgrid.territory import models as territory_models

__all__ = [
    "appeals_models",
    "assessment_models",
    "audit_models",
    "auth_models",
    "demo_models",
    "dispatch_models",
    "events_models",
    "exchange_models",
    "insight_models",
    "jobs_models",
    "notify_models",
    "open311_models",
    "participation_models",
    "protect_models",
    "register_models",
    "territory_models",
]
