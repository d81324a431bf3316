"""Appeal titles the hot-problem tests share."""

from __future__ import annotations

SUBSIDY = [
    "咨询人才购房补贴的申请条件",
    "人才购房补贴申请为何不通过",
    "关于人才购房补贴发放时间的疑问",
    "二手房能否享受人才购房补贴",
    "人才购房补贴什么时候发放",
]
"""One city-wide question asked by five people in other words, naming no place: a topic
problem (:mod:`civicgrid.insight.policy_topics`)."""
