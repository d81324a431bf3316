"""Placeholder: the territory JSON API is being written."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/territory", tags=["territory"])
