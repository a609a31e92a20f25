"""Migration planner: hybrid PQC and QKD+PQC plans with waves, deadlines and reasons.

``build_plan(inventory, *, policies, crqc, now, ...)`` returns a :class:`MigrationPlan`;
``plan_to_json`` is its one serialiser (``"schema": "qrisk.plan/1"``).
"""

from __future__ import annotations

from qrisk.plan.formats import plan_to_csv, plan_to_dict, plan_to_json, plan_to_table
from qrisk.plan.model import (
    PLAN_SCHEMA,
    AcceptedRisk,
    Action,
    ActionKind,
    Budget,
    DeadlineStatus,
    Disposition,
    MigrationPlan,
    PlanInputs,
    PlanSummary,
    Protocol,
    Purpose,
    QkdCost,
    QkdDecision,
    QkdMode,
    QkdReason,
    RelayPolicy,
    Stance,
    Target,
    Urgency,
    Wave,
)
from qrisk.plan.planner import build_plan
from qrisk.plan.qkd import NetworkInput

__all__ = [
    "PLAN_SCHEMA",
    "AcceptedRisk",
    "Action",
    "ActionKind",
    "Budget",
    "DeadlineStatus",
    "Disposition",
    "MigrationPlan",
    "NetworkInput",
    "PlanInputs",
    "PlanSummary",
    "Protocol",
    "Purpose",
    "QkdCost",
    "QkdDecision",
    "QkdMode",
    "QkdReason",
    "RelayPolicy",
    "Stance",
    "Target",
    "Urgency",
    "Wave",
    "build_plan",
    "plan_to_csv",
    "plan_to_dict",
    "plan_to_json",
    "plan_to_table",
]
