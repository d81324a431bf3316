"""Demo data for participation, built through the use cases on the demo territory and its
register: colour teams, 双报到 organisations and party members, volunteers, consultations in
several statuses with votes, service orders at every step with records and a certificate,
and service projects.

:func:`build_participation_demo` calls the participation use cases one after the other (each
commits, which inside the demo builder's outer transaction only releases a savepoint), the way
``demo.builder`` calls the territory and register use cases. Deterministic per seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.actor import Actor
from civicgrid.clock import to_beijing
from civicgrid.participation import access
from civicgrid.participation.consultations import queries as consultation_queries
from civicgrid.participation.consultations import service as consultations
from civicgrid.participation.consultations import states as cst
from civicgrid.participation.projects import service as projects
from civicgrid.participation.volunteers import service as volunteers
from civicgrid.participation.volunteers.models import Volunteer, VolunteerTeam
from civicgrid.territory import queries as territory_queries
from civicgrid.territory.models import Region

COLOUR_TEAMS: tuple[tuple[str, str, str], ...] = (
    ("红色党员先锋队", "red", "政策宣讲、矛盾调解"),
    ("橙色助老服务队", "orange", "助餐、助浴、陪同就医"),
    ("黄色平安巡逻队", "yellow", "治安巡逻、消防检查"),
    ("绿色环保服务队", "green", "垃圾分类、环境整治"),
    ("蓝色便民维修队", "blue", "水电维修、家电维修"),
)
SKILLS = ("维修", "陪护", "助餐", "理发", "法律咨询", "心理疏导", "巡逻", "垃圾分类", "电脑")
ORDER_TITLES = (
    ("修理漏水的水龙头", "维修"),
    ("陪同老人到医院复诊", "陪护"),
    ("帮忙更换楼道灯泡", "维修"),
    ("上门理发", "理发"),
    ("咨询遗产继承问题", "法律咨询"),
    ("教老人使用智能手机", "电脑"),
)
DEMO_RESIDENT_USERNAME = "resident"
MIN_RESIDENTS = 12


@dataclass
class ParticipationDemoSummary:
    community: str = ""
    teams: int = 0
    party_orgs: int = 0
    volunteers: int = 0
    consultations: int = 0
    orders: int = 0
    projects: int = 0
    certificates: int = 0


def _community_with_residents(session: Session, now: datetime) -> tuple[Region, list[int]]:
    communities = [r for r in territory_queries.all_regions(session) if r.level == "community"]
    for community in communities:
        ids = access.residents_living_in(session, community.path, now.date(), 40)
        if len(ids) >= MIN_RESIDENTS:
            return community, ids
    raise ValueError("participation demo needs a community with at least 12 residents")


def build_participation_demo(
    session: Session, *, seed: int, actor: Actor, now: datetime
) -> ParticipationDemoSummary:
    """Create the participation demo data in the first community that has residents.

    ``actor`` is the demo's system actor (global scope). When the demo account ``resident``
    exists it is linked to a register resident, so the resident pages show real data."""
    rng = random.Random(seed)
    community, resident_ids = _community_with_residents(session, now)
    names = access.resident_names(session, resident_ids)
    code = community.code
    summary = ParticipationDemoSummary(community=community.name)

    resident_actor: Actor | None = None
    user_id = auth_service.find_user_id(session, DEMO_RESIDENT_USERNAME)
    if user_id is not None and access.linked_resident_id(session, user_id) is None:
        consultations.link_resident_account(
            session, user_id=user_id, resident_id=resident_ids[0], actor=actor, now=now
        )
        resident_actor = auth_service.actor_for_user(session, user_id)

    teams = [
        volunteers.create_team(
            session, region_code=code, name=name, colour=colour, service_area=area,
            actor=actor, now=now,
        )
        for name, colour, area in COLOUR_TEAMS
    ]  # fmt: skip
    summary.teams = len(teams)
    orgs = [
        volunteers.register_party_org(
            session, region_code=code, name=name, contact=contact, actor=actor, now=now
        )
        for name, contact in (("区卫健委机关党支部", "王主任"), ("某供电公司第三党支部", "李书记"))
    ]
    summary.party_orgs = len(orgs)

    helpers = resident_ids[1:9]
    vols = []
    for i, rid in enumerate(helpers):
        party = i < len(orgs)
        vols.append(
            volunteers.register_volunteer(
                session,
                data=volunteers.NewVolunteer(
                    region_code=code,
                    name=names[rid],
                    skills=tuple(rng.sample(SKILLS, 2)),
                    availability=rng.choice(("工作日晚上", "周末全天", "周六上午", "随时")),
                    team_id=teams[i % len(teams)].id,
                    is_party_member=party,
                    party_org_id=orgs[i].id if party else None,
                    resident_id=rid,
                ),
                actor=actor,
                now=now,
            )
        )
    summary.volunteers = len(vols)

    # Community activities with confirmed hours, one per volunteer per day (never overlapping).
    for day in range(1, 4):
        for v in vols:
            start = (now - timedelta(days=day * 7)).replace(minute=0, second=0, microsecond=0)
            volunteers.record_activity(
                session, volunteer_id=v.id,
                activity=rng.choice(("垃圾分类宣传", "敬老院探访", "社区义诊", "楼道清理")),
                started_at=start, ended_at=start + timedelta(minutes=rng.choice((60, 90, 120))),
                travel_minutes=0, place=community.name, actor=actor, now=now,
            )  # fmt: skip
    volunteers.issue_certificate(
        session, volunteer_id=vols[0].id, signer="社区书记", handler="社区干事",
        contact="010-65000000", actor=actor, now=now,
    )  # fmt: skip
    summary.certificates = 1

    summary.consultations = _consultations(session, code, resident_ids, actor, now)
    if resident_actor is not None:
        summary.orders = _orders(session, code, teams, vols, resident_actor, actor, now)
    summary.projects = _projects(session, code, orgs[0].id, actor, now)
    return summary


def _consultations(
    session: Session, code: str, resident_ids: list[int], actor: Actor, now: datetime
) -> int:
    topics = (
        ("3号楼加装电梯费用分摊", "3号楼居民申请加装电梯，需协商各楼层费用分摊比例。",
         cst.ConsultationStatus.NOTICED, ("按楼层递增分摊", "平均分摊")),
        ("小区停车位规划", "小区停车位不足，拟重新划线并实行错峰停车。",
         cst.ConsultationStatus.IMPLEMENTING, ("重新划线", "错峰共享")),
        ("楼道堆物清理", "楼道堆放杂物存在消防隐患，协商清理办法。",
         cst.ConsultationStatus.EVALUATED, ()),
        ("广场舞噪音", "晚间广场舞音量过大，居民多次反映（热点问题）。",
         cst.ConsultationStatus.PROPOSED, ()),
    )  # fmt: skip
    s = cst.ConsultationStatus
    for title, topic, target, options in topics:
        source = (
            cst.ConsultationSource.HOT_PROBLEM if "热点" in topic else cst.ConsultationSource.STAFF
        )
        c = consultations.propose(
            session,
            data=consultations.NewConsultation(
                title=title, topic=topic, region_code=code, source=source,
                source_ref="近三月热点问题" if source is cst.ConsultationSource.HOT_PROBLEM else "",
                options=options,
            ),
            actor=actor,
            now=now,
        )  # fmt: skip
        if target is s.PROPOSED:
            continue
        for category, name in (
            (cst.ParticipantCategory.PARTY_ORG, "社区党委书记"),
            (cst.ParticipantCategory.RESIDENTS_COMMITTEE, "居委会主任"),
            (cst.ParticipantCategory.RESIDENT_REPRESENTATIVE, "居民代表"),
            (cst.ParticipantCategory.PROPERTY, "物业经理"),
            (cst.ParticipantCategory.STAKEHOLDER, "相关楼门住户"),
        ):
            consultations.add_participant(
                session, consultation_id=c.id, category=category, name=name, actor=actor, now=now
            )
        consultations.publish_notice(
            session, consultation_id=c.id, notice_text="定于本周五晚 7 点在社区议事厅召开协商会。",
            materials="相关方案与费用测算见附件。", actor=actor, now=now,
        )  # fmt: skip
        if options:
            option_ids = [o.id for o in consultation_queries.options_of(session, c.id)]
            for i, rid in enumerate(resident_ids[1:8]):
                consultations.cast_vote(
                    session, consultation_id=c.id, option_id=option_ids[1 if i % 3 == 2 else 0],
                    resident_id=rid, actor=actor, now=now,
                )  # fmt: skip
        if target is s.NOTICED:
            continue
        consultations.record_meeting(
            session, consultation_id=c.id, held_at=now, place="社区议事厅", attendee_count=23,
            minutes="各方充分发表意见，多数同意方案一。", actor=actor, now=now,
        )  # fmt: skip
        consultations.resolve(
            session, consultation_id=c.id, resolution="按多数意见实施，物业负责落实。",
            actor=actor, now=now,
        )  # fmt: skip
        task = consultations.add_task(
            session, consultation_id=c.id, title="制定实施方案", assignee="物业公司",
            actor=actor, now=now,
        )  # fmt: skip
        consultations.start_implementation(session, consultation_id=c.id, actor=actor, now=now)
        if target is s.IMPLEMENTING:
            continue
        consultations.complete_task(
            session, task_id=task.id, result="已按方案完成。", actor=actor, now=now
        )
        consultations.publish_feedback(
            session, consultation_id=c.id, feedback="楼道杂物已全部清理，并建立每周巡查制度。",
            actor=actor, now=now,
        )  # fmt: skip
        consultations.close_evaluation(session, consultation_id=c.id, actor=actor, now=now)
    return len(topics)


def _orders(
    session: Session,
    code: str,
    teams: list[VolunteerTeam],
    vols: list[Volunteer],
    resident: Actor,
    actor: Actor,
    now: datetime,
) -> int:
    steps = ("ordered", "assigned", "taken", "served", "confirmed", "rated")
    for i, ((title, skill), stop) in enumerate(zip(ORDER_TITLES, steps, strict=True)):
        order = volunteers.place_order(
            session,
            data=volunteers.NewOrder(region_code=code, title=title, skill=skill),
            actor=resident,
            now=now,
        )
        if stop == "ordered":
            continue
        volunteer = vols[i]
        team = next(t for t in teams if t.id == volunteer.team_id)
        volunteers.assign_order(session, order_id=order.id, team_id=team.id, actor=actor, now=now)
        if stop == "assigned":
            continue
        volunteers.take_order(
            session, order_id=order.id, volunteer_id=volunteer.id, actor=actor, now=now
        )
        if stop == "taken":
            continue
        start = (now - timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
        volunteers.record_service(
            session, order_id=order.id, started_at=start, ended_at=start + timedelta(hours=2),
            travel_minutes=20, content=f"完成：{title}", actor=actor, now=now,
        )  # fmt: skip
        if stop == "served":
            continue
        volunteers.confirm_service(session, order_id=order.id, actor=resident, now=now)
        if stop == "confirmed":
            continue
        volunteers.rate_order(
            session, order_id=order.id, rating=5, comment="非常感谢！", actor=resident, now=now
        )
    return len(steps)


def _projects(session: Session, code: str, org_id: int, actor: Actor, now: datetime) -> int:
    year = to_beijing(now).year
    projects.apply(
        session, region_code=code, year=year + 1, title="社区老年食堂", applicant="社区居委会",
        description="为 80 岁以上老人提供午餐。", budget_fen=8_000_000, actor=actor, now=now,
    )  # fmt: skip
    running = projects.apply(
        session, region_code=code, year=year, title="楼道照明改造", applicant="社区居委会",
        budget_fen=3_000_000, actor=actor, now=now,
    )  # fmt: skip
    projects.review(session, project_id=running.id, approve=True, actor=actor, now=now)
    projects.claim(session, project_id=running.id, party_org_id=org_id, actor=actor, now=now)
    projects.start(session, project_id=running.id, actor=actor, now=now)
    projects.record_expense(
        session, project_id=running.id, amount_fen=1_250_000, spent_on=now.date(),
        note="采购 LED 声控灯 200 套", actor=actor, now=now,
    )  # fmt: skip
    done = projects.apply(
        session, region_code=code, year=year, title="垃圾分类宣传月", applicant="绿色环保服务队",
        budget_fen=500_000, actor=actor, now=now,
    )  # fmt: skip
    projects.review(session, project_id=done.id, approve=True, actor=actor, now=now)
    projects.claim(session, project_id=done.id, claimed_by="绿色环保服务队", actor=actor, now=now)
    projects.start(session, project_id=done.id, actor=actor, now=now)
    projects.record_expense(
        session, project_id=done.id, amount_fen=420_000, spent_on=now.date(),
        note="宣传物料", actor=actor, now=now,
    )  # fmt: skip
    projects.complete(
        session, project_id=done.id, outcome="入户宣传 1200 户，分类准确率提升至 85%。",
        actor=actor, now=now,
    )  # fmt: skip
    projects.evaluate(
        session, project_id=done.id, score=90, evaluation="目标达成，经费使用规范。",
        actor=actor, now=now,
    )  # fmt: skip
    return 3
