"""Residents taking part: consultations (议事协商), volunteer service (点单/派单/接单, 双报到)
and annual service projects (申报 → 审核 → 认领 → 实施 → 评估)."""
