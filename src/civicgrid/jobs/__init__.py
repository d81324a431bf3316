"""Periodic jobs, run in-process or by the worker."""
