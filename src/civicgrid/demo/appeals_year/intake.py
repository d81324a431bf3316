"""Intake in the demo year: the knowledge base, what each appeal is (type, channel, place,
caller, photos) and what the operator does with it — a direct answer (from a knowledge-base
article where one fits), a transfer to 110/119/120/122, the legal route, an explanation, the
police, 并单 into an open order, or acceptance and dispatch to the unit the catalogue's owner
rule gives (:func:`civicgrid.dispatch.routing.route`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from civicgrid.appeals import service
from civicgrid.appeals.channels import AppealType, Channel
from civicgrid.appeals.deadlines import UrgencyLevel
from civicgrid.appeals.knowledge import create_article
from civicgrid.appeals.models import Appeal, KnowledgeArticle
from civicgrid.appeals.states import EmergencyLine
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.demo.appeal_texts import PLACE_CATEGORIES, Place, asks_only, caller, compose
from civicgrid.demo.appeals_year.photos import PHOTOS
from civicgrid.demo.appeals_year.timeline import Case, Timeline
from civicgrid.demo.appeals_year.world import GridSpot, point_in
from civicgrid.dispatch.catalogue import CatalogueItem, OwnerRule
from civicgrid.dispatch.routing import Place as RoutePlace
from civicgrid.dispatch.routing import route

LEVELS = {
    "L1": UrgencyLevel.EMERGENCY,
    "L2": UrgencyLevel.UTILITY,
    "L3": UrgencyLevel.GENERAL,
    "L4": UrgencyLevel.COMPLEX,
}
EMERGENCY_LINES = (EmergencyLine.FIRE, EmergencyLine.AMBULANCE, EmergencyLine.TRAFFIC)
OPEN_FOR_MERGE = frozenset({"pending_dispatch", "dispatched", "signed", "in_progress"})
PATROL_PREFIXES = ("0101", "0103", "0104", "0106", "0501", "0505", "0704", "1101", "1401")

KNOWLEDGE = (
    ("150101", "居住证明与居住证办理材料", "居住证,材料,流程",
     "办理居住证需携带本人身份证、近期照片和合法稳定住所证明（房屋租赁合同或房产证明），"
     "到居住地派出所或社区服务站申请；材料齐全的，15个工作日内可领取。"),
    ("150101", "营业执照变更所需材料", "营业执照,变更,材料",
     "个体工商户和企业变更登记可在政务服务网在线办理，需提交变更登记申请书、相关决议和新住所"
     "证明；线下可到区政务服务中心市场监管窗口办理，当场审核。"),
    ("150102", "育儿补贴与生育支持政策", "政策,育儿补贴,生育",
     "符合条件的家庭可在孩子出生后通过政务服务平台申请育儿补贴，需提供出生医学证明和户口簿；"
     "具体标准以当年公布的政策为准。"),
    ("150102", "住房公积金提取政策", "政策,公积金,提取",
     "购房、租房、退休等情形可申请提取住房公积金，可通过公积金网上大厅或手机客户端办理，"
     "租房提取每月可提取一次。"),
    ("150103", "区政务服务中心地址与办公时间", "地址,上班时间,窗口",
     "区政务服务中心位于区行政服务大楼一至三层，工作日9:00—17:00办公，周六上午开放部分"
     "综合窗口；社保、医保、不动产登记均设专门窗口。"),
    ("040403", "供暖费缴纳与报停", "供暖费,采暖费,报停",
     "采暖费可通过热力公司营业厅、银行代收或手机客户端缴纳；空置房屋报停须在供暖季开始前"
     "向热力公司提出申请，报停期间按规定收取基本热费。"),
    ("080302", "社保转移接续办理", "社保,转移,接续",
     "跨地区就业的参保人员可通过国家社会保险公共服务平台或手机客户端申请养老保险关系转移，"
     "转入地经办机构受理后45个工作日内办结。"),
    ("080402", "异地就医备案", "异地,备案,结算",
     "参保人员可通过国家医保服务平台办理异地就医备案，备案后在就医地定点医疗机构可直接结算；"
     "临时外出就医也可先行备案。"),
    ("100101", "义务教育入学与划片", "入学,划片,学位",
     "适龄儿童按户籍和实际居住地划片入学，入学信息采集一般在每年五月进行，"
     "具体学区划分以区教委当年公布的方案为准。"),
    ("110201", "落户办理指南", "落户,户口,迁移",
     "新生儿落户可凭出生医学证明、父母户口簿和身份证到户籍派出所办理；投靠落户需提供"
     "亲属关系证明和住房证明，审批时限为20个工作日。"),
)  # fmt: skip


class IntakeSteps(Timeline):
    """The knowledge base, submission, the operator's intake disposition and the ``accept``
    step."""

    def create_knowledge(self, now: datetime) -> None:
        """The knowledge-base articles that direct answers cite, created before the year."""
        for code, title, keywords, body in KNOWLEDGE:
            article = create_article(
                self.session, title=title, body=body, keywords=keywords, category=code,
                actor=self.actors.operator, now=now,
            )  # fmt: skip
            self.articles.setdefault(code, []).append(article.id)
            self.summary.knowledge_articles += 1

    def load_knowledge(self) -> None:
        """The articles :meth:`create_knowledge` made when the recent weeks were built."""
        for article_id, category in self.session.execute(
            select(KnowledgeArticle.id, KnowledgeArticle.category).order_by(KnowledgeArticle.id)
        ):
            self.articles.setdefault(category, []).append(article_id)

    def submit(self, item: CatalogueItem, at: datetime) -> None:
        """Submit one appeal about ``item`` received at ``at`` and decide its intake."""
        rng = self.rng
        appeal_type = self._type_for(item)
        if item.code[:4] in PATROL_PREFIXES and rng.random() < 0.2:
            appeal_type = AppealType.REPORT  # found on patrol (巡查发现) or reported by a witness
        channel, actor, grid = self._channel_for(item, appeal_type)
        place = None
        if grid is not None:
            place = Place(rng.choice(grid.addresses), grid.community, grid.street.name)
        # Labour, health, schooling … are not about a place: the address is the caller's.
        text = compose(item, appeal_type, rng, place if item.code[:2] in PLACE_CATEGORIES else None)
        lon = lat = None
        photos: tuple[bytes, ...] = ()
        if channel in (Channel.SNAPSHOT, Channel.GRID_PATROL) and grid is not None:
            lon, lat = point_in(grid, rng)
            photos = (rng.choice(PHOTOS),)
        name, phone = caller(rng)
        anonymous = appeal_type is AppealType.REPORT and rng.random() < 0.25
        confidential = not anonymous and appeal_type is AppealType.REPORT and rng.random() < 0.3
        if channel is Channel.GRID_PATROL or actor.has_role(Role.RESIDENT):
            name, phone = ("", "") if channel is Channel.GRID_PATROL else ("", phone)
        level = LEVELS.get(item.default_level, UrgencyLevel.GENERAL)
        appeal = service.submit_appeal(
            self.session,
            data=service.NewAppeal(
                channel=channel, appeal_type=appeal_type, title=text.title, content=text.content,
                level=level, category=item.code,
                address=f"{grid.street.name}{grid.community}{place.address}" if grid and place
                else "",
                lon=lon, lat=lat, region_id=grid.id if grid else None,
                caller_name=name, caller_phone=phone, anonymous=anonymous,
                confidential=confidential, photos=photos,
            ),
            actor=actor, cipher=self.cipher, media=self.media, now=at,
        )  # fmt: skip
        case = Case(
            id=appeal.id, number=appeal.number, item=item, grid=grid, flow=channel.flow,
            level=level, received_at=at,
            reporter=actor if channel is Channel.GRID_PATROL else None, appeal=appeal,
        )  # fmt: skip
        self.cases[case.id] = case
        self.summary.created += 1
        self._intake(case, appeal_type, at)

    def _type_for(self, item: CatalogueItem) -> AppealType:
        code, r = item.code, self.rng.random()
        if item.owner_rule is OwnerRule.KNOWLEDGE_BASE or code in ("990302", "990303"):
            return AppealType.INQUIRY
        if code.startswith("9901"):
            return AppealType.PRAISE
        if code.startswith("9902"):
            return AppealType.OTHER
        if code == "990301":
            return AppealType.HELP
        if code.startswith("1505"):
            return AppealType.SUGGESTION
        if asks_only(item) and r < 0.8:
            return AppealType.INQUIRY
        for limit, kind in (
            (0.47, AppealType.INQUIRY),
            (0.72, AppealType.COMPLAINT),
            (0.87, AppealType.HELP),
            (0.93, AppealType.REPORT),
            (0.99, AppealType.SUGGESTION),
        ):
            if r < limit:
                return kind
        return AppealType.OTHER

    def _channel_for(
        self, item: CatalogueItem, appeal_type: AppealType
    ) -> tuple[Channel, Actor, GridSpot | None]:
        rng, actors = self.rng, self.actors
        grid = rng.choice(self.world.grids) if self.world.grids else None
        r = rng.random()
        placeable = item.owner_rule in (OwnerRule.STREET, OwnerRule.DEPARTMENT, OwnerRule.UTILITY)
        if appeal_type is AppealType.REPORT and self.patrol_grids and rng.random() < 0.5:
            patrol = rng.choice(self.patrol_grids)
            return Channel.GRID_PATROL, actors.grid_workers[patrol.id], patrol
        if (
            r < 0.07
            and item.code[:2] in PLACE_CATEGORIES
            and placeable
            and actors.residents
            and appeal_type is not AppealType.INQUIRY
        ):
            return Channel.SNAPSHOT, rng.choice(actors.residents), grid
        if r < 0.15:
            if actors.residents and rng.random() < 0.4:
                return Channel.WEB, rng.choice(actors.residents), grid
            return Channel.WEB, actors.operator, grid
        if not placeable and rng.random() < 0.5:
            return Channel.HOTLINE, actors.operator, None
        return Channel.HOTLINE, actors.operator, grid

    def _intake(self, case: Case, appeal_type: AppealType, at: datetime) -> None:
        rng, op, code = self.rng, self.actors.operator, case.item.code
        soon = at + timedelta(minutes=rng.randint(2, 12))
        if code == "990301":
            text = case.item.name
            line = EmergencyLine.FIRE if "火" in text else rng.choice(EMERGENCY_LINES)
            appeal = service.transfer_emergency(
                self.session, appeal_id=case.id, line=line, note="已转接并告知来电人",
                actor=op, now=at + timedelta(minutes=1),
            )  # fmt: skip
            self._disposed(case, appeal, soon)
            return
        if code in ("990302", "990303"):
            route_text = (
                "已告知来电人：劳动争议可向劳动人事争议仲裁委员会申请仲裁，对行政行为不服可在"
                "法定期限内申请行政复议或提起行政诉讼。"
                if code == "990302"
                else "已告知来电人：信访事项请按《信访工作条例》向有权处理的机关提出，"
                "可通过网上信访平台或到信访接待场所提交。"
            )
            appeal = service.redirect_legal_route(
                self.session, appeal_id=case.id, text=route_text, actor=op, now=soon
            )
            self._disposed(case, appeal, soon + timedelta(minutes=5))
            return
        if code.startswith("9902"):
            if code == "990202" and rng.random() < 0.3:
                appeal = service.refer_police(
                    self.session, appeal_id=case.id, actor=op, now=soon,
                    text="来电人多次恶意拨打并辱骂话务员，严重占用热线资源，已按规定移交公安机关。",
                )  # fmt: skip
            else:
                appeal = service.explain(
                    self.session, appeal_id=case.id, actor=op, now=soon,
                    text="来电无具体诉求，已向来电人说明热线受理范围，如有诉求欢迎再次来电。",
                )  # fmt: skip
            self._disposed(case, appeal, soon + timedelta(minutes=5))
            return
        if code == "990203" or (
            appeal_type in (AppealType.COMPLAINT, AppealType.HELP) and rng.random() < 0.05
        ):
            if self._merge(case, soon):
                return
            if code == "990203":
                appeal = service.explain(
                    self.session, appeal_id=case.id, actor=op, now=soon,
                    text="经查询，来电人反映的问题此前已办结，已向来电人说明办理结果。",
                )  # fmt: skip
                self._disposed(case, appeal, soon + timedelta(minutes=5))
                return
        if appeal_type is AppealType.PRAISE:
            appeal = service.answer_directly(
                self.session, appeal_id=case.id, actor=op, now=soon,
                text="已记录来电人的表扬和感谢，将转达相关单位及工作人员。",
            )  # fmt: skip
            self._disposed(case, appeal, soon + timedelta(minutes=10))
            return
        kb = case.item.owner_rule is OwnerRule.KNOWLEDGE_BASE
        answered = kb or (appeal_type is AppealType.INQUIRY and rng.random() < 0.75)
        # Without a place (the caller could not say where) or an owning unit, the operator
        # answers too.
        target = None if answered or case.grid is None else self._route(case)
        if target is None:
            self._answer(case, soon)
            return
        case.target = target
        last_days = self.end - at < timedelta(days=7)
        if last_days and rng.random() < 0.15:
            appeal = service.accept(self.session, appeal_id=case.id, actor=op, now=soon)
            self.note(case, appeal)
            self.later(case, at + timedelta(hours=rng.uniform(20, 90)), "dispatch")
            return
        if rng.random() < 0.35:
            self.later(case, soon, "accept")
            return
        self.later(case, at + self._dispatch_delay(case), "dispatch")

    def _disposed(self, case: Case, appeal: Appeal, close_at: datetime) -> None:
        """The operator disposed of the appeal at intake; it is closed at ``close_at``."""
        self.note(case, appeal)
        self.later(case, close_at, "close_disposed")

    def _answer(self, case: Case, at: datetime) -> None:
        rng = self.rng
        article_ids = self.articles.get(case.item.code, [])
        article = rng.choice(article_ids) if article_ids else None
        if article is None and case.item.owner_rule is OwnerRule.KNOWLEDGE_BASE:
            pool = [a for code, ids in self.articles.items() if code.startswith("15") for a in ids]
            article = rng.choice(pool) if pool else None
        unit = self._unit_name(case)
        text = (
            "已依据知识库答复来电人，告知办理条件、所需材料和办理渠道。"
            if article is not None
            else f"已答复来电人：“{case.item.name}”事项由{unit}负责，告知了办理渠道和咨询电话。"
        )
        appeal = service.answer_directly(
            self.session, appeal_id=case.id, text=text, knowledge_article_id=article,
            actor=self.actors.operator, now=at,
        )  # fmt: skip
        self.note(case, appeal)
        if rng.random() < 0.3:
            self.later(case, at + timedelta(hours=rng.uniform(20, 72)), "callback_answer")
        else:
            self.later(case, at + timedelta(minutes=rng.randint(5, 60)), "close_disposed")

    def _unit_name(self, case: Case) -> str:
        target = self._route(case) if case.grid else None
        if target is None:
            return "相关部门"
        kind, unit_id = target
        if kind == "department":
            return next((d.name for d in self.world.departments if d.id == unit_id), "相关部门")
        if kind == "utility":
            return next((u.name for u, _ in self.world.utilities if u.id == unit_id), "相关企业")
        grid = case.grid
        if grid is not None and unit_id == grid.street.id:
            return grid.street.name
        return "所在区人民政府"

    def _merge(self, case: Case, at: datetime) -> bool:
        if case.grid is None:
            return False
        bucket = self.open_by_street.get(case.grid.street.id, [])
        any_item = case.item.code == "990203"
        open_ones = [
            c
            for c in bucket
            if c.status in OPEN_FOR_MERGE
            and (any_item or c.item.code == case.item.code)
            and c.received_at > at - timedelta(days=5 if not any_item else 30)
        ]
        if not open_ones:
            return False
        target = self.rng.choice(open_ones)
        appeal = service.merge(
            self.session, appeal_id=case.id, target_number=target.number,
            note="与已受理工单反映同一问题，并单处理。", actor=self.actors.operator, now=at,
        )  # fmt: skip
        self.note(case, appeal)
        return True

    def _route(self, case: Case) -> tuple[str, int] | None:
        grid = case.grid
        if grid is None:
            return None
        key = (case.item.code, grid.street.id)
        if key in self.routes:
            return self.routes[key]
        codes = {grid.street.code, grid.district.code, grid.city.code if grid.city else ""}
        serving = [u for u, area in self.world.utilities if codes.intersection(area)]
        place = RoutePlace(
            source="region", confidence=1.0, street=grid.street, district=grid.district,
            city=grid.city, region_id=grid.id, region_path=grid.path, detail=grid.name,
        )  # fmt: skip
        decision = route(case.item, place, departments=self.world.departments, utilities=serving)
        result = None
        if decision.unit_kind is not None and decision.unit_id is not None:
            result = (decision.unit_kind, decision.unit_id)
        self.routes[key] = result
        return result

    def _dispatch_delay(self, case: Case) -> timedelta:
        rng = self.rng
        limit_hours = {
            UrgencyLevel.EMERGENCY: 1.0,
            UrgencyLevel.UTILITY: 2.0,
            UrgencyLevel.GENERAL: 24.0,
            UrgencyLevel.COMPLEX: 24.0,
        }[case.level]
        share = rng.uniform(1.1, 2.5) if rng.random() < 0.04 else rng.uniform(0.05, 0.6)
        if case.level in (UrgencyLevel.GENERAL, UrgencyLevel.COMPLEX) and share < 1:
            share *= 0.4  # most ordinary orders go out within a few hours
        return timedelta(hours=limit_hours * share)

    def _accept(self, case: Case, at: datetime) -> None:
        appeal = service.accept(self.session, appeal_id=case.id, actor=self.actors.operator, now=at)
        self.note(case, appeal)
        self.later(case, at + self._dispatch_delay(case), "dispatch")
