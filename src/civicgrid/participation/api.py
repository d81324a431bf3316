"""All JSON routers of participation, for ``civicgrid.app`` to include."""

from __future__ import annotations

from civicgrid.participation.consultations.api import router as consultations_router
from civicgrid.participation.projects.api import router as projects_router
from civicgrid.participation.volunteers.api import router as volunteers_router

routers = (consultations_router, volunteers_router, projects_router)
