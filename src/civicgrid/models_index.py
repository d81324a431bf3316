"""Imports every package's models so that ``Base.metadata`` is complete (Alembic, tests)."""

from civicgrid.audit import models as audit_models
from civicgrid.auth import models as auth_models
from civicgrid.territory import models as territory_models

__all__ = ["audit_models", "auth_models", "territory_models"]
