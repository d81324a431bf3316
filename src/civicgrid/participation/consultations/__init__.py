"""Consultations (议事协商): topic, 6+X participants, notice, meetings, votes, resolution,
implementation tasks, published feedback and residents' evaluation."""
