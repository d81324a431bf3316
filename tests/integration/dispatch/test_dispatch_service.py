"""The dispatch services against the database: classification, suggestions with routing and
duplicates, the manual queue cases, automatic routing through the appeals use cases, feedback
and the database as a training source."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal
from tests.builders.auth import MiniTerritory
from tests.integration.dispatch.helpers import GARBAGE, NOISE, WATER, make_categorised

from civicgrid.appeals import queries as appeal_queries
from civicgrid.appeals import service as appeal_service
from civicgrid.appeals.channels import AppealType, Channel
from civicgrid.appeals.models import Appeal
from civicgrid.appeals.states import AppealStatus
from civicgrid.audit.models import AuditEntry
from civicgrid.dispatch import service
from civicgrid.dispatch.models import DispatchFeedback
from civicgrid.dispatch.routing import RoutingRule
from civicgrid.errors import Invalid, NotFound
from civicgrid.register.models import Address

S = AppealStatus
STRICT = service.DispatchPolicy(target_accuracy=0.999)


def _pending(session: Session, world: World, now: datetime, title: str, content: str) -> Appeal:
    return make_appeal(
        session, world=world, now=now, status=S.PENDING_DISPATCH, title=title, content=content
    )


def test_classify_maps_labels_to_catalogue_items(
    session: Session, world: World, trained_models: Path
) -> None:
    result = service.classify_text(session, "幸福小区垃圾堆放没人清运", models_dir=trained_models)
    assert not result.manual
    assert result.model_version == "t1"
    top = result.top
    assert top is not None
    assert top.label == GARBAGE
    assert top.item is not None
    assert top.path == ("城市管理与市容环境", "环境卫生", "暴露垃圾")
    assert sum(s.probability for s in result.suggestions) <= 1.0 + 1e-6


@pytest.mark.parametrize("text", ["", "   ", "x" * 10_001])
def test_classify_refuses_empty_or_long_text(
    session: Session, world: World, trained_models: Path, text: str
) -> None:
    with pytest.raises(Invalid):
        service.classify_text(session, text, models_dir=trained_models)


@pytest.mark.parametrize("text", ["hello world", "🙂🙂🙂", "12345"])
def test_text_without_chinese_goes_to_the_manual_queue(
    session: Session, world: World, trained_models: Path, text: str
) -> None:
    result = service.classify_text(session, text, models_dir=trained_models)
    assert result.manual
    assert result.suggestions == ()
    assert "中文" in result.reason


def test_no_model_and_corrupt_model_go_to_the_manual_queue(
    session: Session, world: World, trained_models: Path, tmp_path: Path
) -> None:
    result = service.classify_text(session, "垃圾没人清运", models_dir=tmp_path / "none")
    assert result.manual
    assert "尚未训练" in result.reason
    broken = tmp_path / "broken"
    (broken / "v1").mkdir(parents=True)
    (broken / "current").write_text("v1\n", encoding="utf-8")
    (broken / "v1" / "manifest.json").write_text("{not json", encoding="utf-8")
    result = service.classify_text(session, "垃圾没人清运", models_dir=broken)
    assert result.manual
    assert "损坏" in result.reason


def test_low_confidence_goes_to_the_manual_queue(
    session: Session, world: World, trained_models: Path
) -> None:
    result = service.classify_text(
        session, "幸福小区垃圾堆放没人清运", models_dir=trained_models, policy=STRICT
    )
    assert result.manual
    assert "未达到目标准确率" in result.reason
    assert result.top is not None  # the suggestions are still shown to the dispatcher


def test_suggestion_routes_a_street_item_to_the_street(
    session: Session, world: World, now: datetime, trained_models: Path
) -> None:
    appeal = _pending(session, world, now, "垃圾堆放", "幸福小区门口垃圾堆放无人清运，味道很大")
    suggestion = service.suggest_dispatch(
        session,
        actor=world.actor("dispatcher"),
        models_dir=trained_models,
        now=now,
        appeal_id=appeal.id,
    )
    assert suggestion.item is not None
    assert suggestion.item.code == GARBAGE
    assert suggestion.place.source == "region"
    assert suggestion.decision.rule is RoutingRule.STREET
    assert suggestion.decision.unit_id == world.street_a[1]
    assert suggestion.auto_dispatch
    assert suggestion.level is not None


def test_suggestion_routes_department_and_utility_items(
    session: Session, world: World, now: datetime, trained_models: Path
) -> None:
    noise = service.suggest_dispatch(
        session,
        actor=world.actor("dispatcher"),
        models_dir=trained_models,
        now=now,
        text="工地夜间施工噪音扰民，凌晨还在打桩",
        region_id=world.region_id(MiniTerritory.COMMUNITY_A1),
    )
    assert noise.item is not None
    assert noise.item.code == NOISE
    assert noise.decision.rule is RoutingRule.DEPARTMENT
    assert (noise.decision.unit_kind, noise.decision.unit_id) == world.department
    water = service.suggest_dispatch(
        session,
        actor=world.actor("dispatcher"),
        models_dir=trained_models,
        now=now,
        text="整栋楼停水一天了",
        region_id=world.region_id(MiniTerritory.COMMUNITY_A1),
    )
    assert water.item is not None
    assert water.item.code == WATER
    assert water.decision.rule is RoutingRule.UTILITY
    assert (water.decision.unit_kind, water.decision.unit_id) == world.utility


def test_place_from_address_text_and_register_address(
    session: Session, world: World, now: datetime, trained_models: Path
) -> None:
    grid = world.territory.region(MiniTerritory.GRID_A2)
    session.add(
        Address(
            code=f"{grid.code}00001",
            name="光华路9号院",
            grid_id=grid.id,
            grid_code=grid.code,
            region_path=grid.path,
            created_at=now,
        )
    )
    session.commit()
    suggestion = service.suggest_dispatch(
        session,
        actor=world.actor("dispatcher"),
        models_dir=trained_models,
        now=now,
        text="门口垃圾堆放无人清运",
        address="朝阳区光华路9号院2号楼",
    )
    assert suggestion.place.source == "address"
    assert suggestion.place.region_id == grid.id
    assert "光华路9号院" in suggestion.place.detail
    assert suggestion.decision.unit_id == world.street_a[1]
    by_name = service.suggest_dispatch(
        session,
        actor=world.actor("dispatcher"),
        models_dir=trained_models,
        now=now,
        text="永安里社区门口垃圾没人清理",
    )
    assert by_name.place.region_id == world.region_id(MiniTerritory.COMMUNITY_A2)
    assert by_name.decision.rule is RoutingRule.STREET


def test_an_address_outside_the_territory_goes_to_the_dispatcher(
    session: Session, world: World, now: datetime, trained_models: Path
) -> None:
    appeal = appeal_service.submit_appeal(
        session,
        data=appeal_service.NewAppeal(
            channel=Channel.HOTLINE,
            appeal_type=AppealType.COMPLAINT,
            title="垃圾堆放",
            # The content names a local community; the address says the place is elsewhere.
            content="永安里社区的亲戚说门口垃圾堆放无人清运",
            address="上海市浦东新区张江镇科苑路88号",
            caller_name="张三",
            caller_phone="13812345678",
        ),
        actor=world.actor("operator"),
        cipher=world.cipher,
        media=world.media,
        now=now,
    )
    appeal_service.accept(session, appeal_id=appeal.id, actor=world.actor("operator"), now=now)
    suggestion = service.suggest_dispatch(
        session,
        actor=world.actor("dispatcher"),
        models_dir=trained_models,
        now=now,
        appeal_id=appeal.id,
    )
    assert not suggestion.place.known
    assert not suggestion.auto_dispatch
    assert any("上海市浦东新区，不在本辖区" in r for r in suggestion.reasons)
    local = service.resolve_place(session, address="北京市朝阳区建外街道永安里社区")
    assert local.region_id == world.region_id(MiniTerritory.COMMUNITY_A2)
    bare = service.resolve_place(session, address="朝阳区建外街道")  # no city: still ours
    assert bare.street is not None
    assert bare.street.id == world.street_a[1]


def test_no_place_means_manual(
    session: Session, world: World, now: datetime, trained_models: Path
) -> None:
    suggestion = service.suggest_dispatch(
        session,
        actor=world.actor("dispatcher"),
        models_dir=trained_models,
        now=now,
        text="门口垃圾堆放无人清运",
    )
    assert not suggestion.place.known
    assert suggestion.decision.rule is RoutingRule.MANUAL
    assert not suggestion.auto_dispatch
    assert any("无法确定诉求发生地" in r for r in suggestion.reasons)


def test_suggestion_for_a_text_needs_text_or_appeal(
    session: Session, world: World, now: datetime, trained_models: Path
) -> None:
    with pytest.raises(Invalid):
        service.suggest_dispatch(
            session, actor=world.actor("dispatcher"), models_dir=trained_models, now=now
        )
    with pytest.raises(Invalid):
        service.suggest_dispatch(
            session,
            actor=world.actor("dispatcher"),
            models_dir=trained_models,
            now=now,
            text="垃圾",
            code="999999",
        )


def test_out_of_scope_appeal_is_not_found(
    session: Session, world: World, now: datetime, trained_models: Path
) -> None:
    appeal = _pending(session, world, now, "垃圾", "垃圾没人清运")
    with pytest.raises(NotFound):
        service.suggest_dispatch(
            session,
            actor=world.actor("district_b_operator"),
            models_dir=trained_models,
            now=now,
            appeal_id=appeal.id,
        )


def test_duplicates_of_an_open_appeal(
    session: Session, world: World, now: datetime, trained_models: Path
) -> None:
    first = _pending(session, world, now, "垃圾堆放", "门口垃圾堆放多日无人清运，气味很大")
    other = _pending(session, world, now, "施工噪音", "工地晚上施工噪声扰民，半夜还在打桩")
    later = now + timedelta(hours=3)
    second = _pending(session, world, later, "垃圾没人清运", "门口的垃圾好几天没人清运了，很臭")
    found = service.duplicates_for(session, actor=world.actor("dispatcher"), appeal_id=second.id)
    assert [c.appeal.id for c in found] == [first.id]
    assert found[0].place_reason == "同一网格/社区"
    assert other.id not in [c.appeal.id for c in found]


def test_auto_route_dispatches_with_the_reason_on_the_timeline(
    session: Session, world: World, now: datetime, trained_models: Path
) -> None:
    appeal = _pending(session, world, now, "停水", "整栋楼停水一天了，什么时候来水")
    result = service.run_auto_route(
        session,
        appeal_id=appeal.id,
        actor=world.actor("dispatcher"),
        models_dir=trained_models,
        now=now,
    )
    assert result.plan.action == "dispatch"
    assert result.appeal.status == S.DISPATCHED
    lead = appeal_queries.lead_unit(result.appeal)
    assert lead is not None
    assert (lead.unit_kind, lead.unit_id) == world.utility
    assert result.appeal.level == "utility"  # 停水 defaults to L2
    events = appeal_queries.timeline(session, appeal.id)
    assert events[-1].action == "dispatch"
    assert "智能派单" in events[-1].note
    assert "服务区域" in events[-1].note
    audit = session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "appeal.dispatch", AuditEntry.subject_id == str(appeal.id)
        )
    ).all()
    assert len(audit) == 1


def test_auto_route_leaves_uncertain_appeals_in_the_manual_queue(
    session: Session, world: World, now: datetime, trained_models: Path
) -> None:
    appeal = _pending(session, world, now, "停水", "整栋楼停水一天了")
    before = len(appeal_queries.timeline(session, appeal.id))
    result = service.run_auto_route(
        session,
        appeal_id=appeal.id,
        actor=world.actor("dispatcher"),
        models_dir=trained_models,
        now=now,
        policy=STRICT,
    )
    assert result.plan.action == "manual"
    assert "未达到目标准确率" in result.plan.reason
    assert result.appeal.status == S.PENDING_DISPATCH
    assert len(appeal_queries.timeline(session, appeal.id)) == before
    received = make_appeal(session, world=world, now=now, title="垃圾", content="垃圾没人清运")
    plan = service.plan_auto_route(
        session,
        appeal_id=received.id,
        actor=world.actor("dispatcher"),
        models_dir=trained_models,
        now=now,
    )
    assert plan.action == "manual"
    assert "待派单" in plan.reason


def test_auto_route_merges_a_near_certain_duplicate(
    session: Session, world: World, now: datetime, trained_models: Path
) -> None:
    first = _pending(session, world, now, "垃圾堆放", "门口垃圾堆放多日无人清运，气味很大")
    second = _pending(
        session, world, now + timedelta(hours=1), "垃圾堆放", "门口垃圾堆放多日无人清运，气味很大"
    )
    result = service.run_auto_route(
        session,
        appeal_id=second.id,
        actor=world.actor("dispatcher"),
        models_dir=trained_models,
        now=now + timedelta(hours=2),
    )
    assert result.plan.action == "merge"
    assert result.plan.target_number == first.number
    assert result.appeal.status == S.MERGED
    assert result.appeal.merged_into_id == first.id


def test_feedback_is_stored_with_the_prediction_and_audited(
    session: Session, world: World, now: datetime, trained_models: Path
) -> None:
    appeal = _pending(session, world, now, "垃圾", "门口垃圾堆放无人清运")
    row = service.record_feedback(
        session,
        appeal_id=appeal.id,
        chosen_code="010102",
        actor=world.actor("dispatcher"),
        models_dir=trained_models,
        now=now,
    )
    assert row.predicted_label == GARBAGE
    assert row.predicted_probability is not None
    assert row.model_version == "t1"
    assert row.chosen_code == "010102"
    assert "垃圾" in row.text
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "dispatch.feedback"))
    assert [a.subject_id for a in audit] == [str(appeal.id)]
    with pytest.raises(Invalid):
        service.record_feedback(
            session,
            appeal_id=appeal.id,
            chosen_code="999999",
            actor=world.actor("dispatcher"),
            models_dir=trained_models,
            now=now,
        )
    no_model = service.record_feedback(
        session,
        appeal_id=appeal.id,
        chosen_code=GARBAGE,
        actor=world.actor("dispatcher"),
        models_dir=Path("/nonexistent-models"),
        now=now,
    )
    assert (no_model.predicted_label, no_model.predicted_probability) == ("", None)


def test_training_pairs_from_closed_appeals_and_feedback(
    session: Session, world: World, now: datetime, trained_models: Path
) -> None:
    closed = make_categorised(
        session, world, now=now, title="停水", content="整栋楼停水", category=WATER
    )
    corrected = make_categorised(
        session, world, now=now, title="噪音", content="夜里施工太吵", category=GARBAGE
    )
    pending = _pending(session, world, now, "垃圾", "垃圾没人清运")
    make_appeal(session, world=world, now=now, status=S.CLOSED, title="无类别", content="没有类别")
    for appeal_id, code in ((corrected.id, NOISE), (pending.id, GARBAGE)):
        service.record_feedback(
            session,
            appeal_id=appeal_id,
            chosen_code=code,
            actor=world.actor("dispatcher"),
            models_dir=trained_models,
            now=now,
        )
    pairs = service.training_pairs(session, now)
    assert sorted(label for _, label in pairs) == sorted([WATER, NOISE, GARBAGE])
    assert ("停水。整栋楼停水", WATER) in pairs
    assert closed.id != corrected.id
    assert session.scalar(select(DispatchFeedback.id).limit(1)) is not None
