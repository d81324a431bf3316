"""Append-only audit log of every write and every reveal of personal data."""
