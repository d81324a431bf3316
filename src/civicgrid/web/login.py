"""Placeholder replaced by the login/home work."""

from fastapi import APIRouter

router = APIRouter()
