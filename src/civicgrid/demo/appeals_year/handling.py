"""The units' handling in the demo year: dispatch (sometimes to the wrong unit, sometimes with a
co-unit), signing and contact, send-backs of misrouted orders, 吹哨报到 and the departments'
arrival, requests for extension, termination or parking and the dispatcher's decisions, 催办 and
督办 of late orders, and the reply — mostly in time, some late."""

from __future__ import annotations

from datetime import datetime, timedelta

from civicgrid.appeals import service
from civicgrid.appeals.channels import Flow
from civicgrid.appeals.states import AppealStatus
from civicgrid.appeals.workflow import Action
from civicgrid.auth.actor import Actor
from civicgrid.demo.appeals_year.timeline import Case, Timeline
from civicgrid.demo.appeals_year.world import GridSpot

ARRIVAL_STATUSES = frozenset(
    {"signed", "in_progress", "extension_requested", "termination_requested", "park_requested",
     "parked"}
)  # fmt: skip


class HandlingSteps(Timeline):
    """The steps from dispatch to the unit's reply."""

    def _wrong_unit(self, target: tuple[str, int], grid: GridSpot) -> tuple[str, int] | None:
        kind, unit_id = target
        if kind == "region":
            others = sorted(s for s in self.actors.streets if s not in (unit_id, grid.district.id))
        elif kind == "department":
            depts = self.world.departments_of(grid)
            others = [d for d in depts if d != unit_id]
        else:
            return None
        return (kind, self.rng.choice(others)) if others else None

    def _dispatch(self, case: Case, at: datetime) -> None:
        rng = self.rng
        assert case.target is not None
        assert case.grid is not None
        lead = case.target
        if case.lead is None and rng.random() < 0.03:
            wrong = self._wrong_unit(case.target, case.grid)
            if wrong is not None:
                lead, case.misrouted = wrong, True
        co: list[tuple[str, int]] = []
        if lead[0] == "region" and case.item.whistle_candidate and rng.random() < 0.1:
            depts = self.world.departments_of(case.grid)
            if depts:
                co.append(("department", rng.choice(depts)))
        appeal = service.dispatch(
            self.session, appeal_id=case.id, lead=lead, co_units=co, actor=self.actors.dispatcher,
            now=at,
        )  # fmt: skip
        case.lead = lead
        case.dispatched_at = at
        case.response_due = appeal.response_due_at
        case.finish_due = appeal.finish_due_at
        # Units fall behind on some orders; the last weeks' backlog is what inboxes show.
        tail = self.end - at < timedelta(days=21)
        case.slow = rng.random() < (0.3 if tail else 0.06)
        self.note(case, appeal)
        bucket = self.open_by_street.setdefault(case.grid.street.id, [])
        if case not in bucket:
            bucket.append(case)
        if case.misrouted:
            self.later(case, at + timedelta(hours=rng.uniform(0.5, 6)), "request_return")
            return
        if tail and rng.random() < 0.12:
            self.later(case, at + timedelta(days=rng.uniform(1, 8)), "sign")
            return
        self.later(case, at + self._response_share(case, 0.05, 0.5), "sign")

    def _response_share(self, case: Case, low: float, high: float) -> timedelta:
        assert case.dispatched_at is not None
        window = (case.response_due or case.dispatched_at + timedelta(hours=24)) - (
            case.dispatched_at
        )
        if self.rng.random() < 0.06:
            low, high = 1.05, 2.5
        return window * self.rng.uniform(low, high)

    def _unit(self, case: Case) -> Actor:
        assert case.lead is not None
        return self.actors.handler(*case.lead)

    def _sign(self, case: Case, at: datetime) -> None:
        appeal = service.sign(self.session, appeal_id=case.id, actor=self._unit(case), now=at)
        self.note(case, appeal)
        self.later(case, at + self._response_share(case, 0.02, 0.3), "contact")

    def _request_return(self, case: Case, at: datetime) -> None:
        service.request_return(
            self.session, appeal_id=case.id, actor=self._unit(case), now=at,
            reason="经核实，该诉求不属于本单位职责范围，请重新派单。",
        )  # fmt: skip
        case.status = AppealStatus.RETURN_REQUESTED.value
        self.later(case, at + timedelta(hours=self.rng.uniform(0.5, 5)), "decide_return")

    def _decide_return(self, case: Case, at: datetime) -> None:
        disp = self.actors.dispatcher
        if self.rng.random() < 0.85:
            service.approve_return(
                self.session, appeal_id=case.id, note="同意退单，已重新派单。", actor=disp, now=at
            )
            case.status = AppealStatus.PENDING_DISPATCH.value
            case.misrouted = False
            self.later(case, at + timedelta(minutes=self.rng.randint(10, 120)), "dispatch")
            return
        service.reject_return(
            self.session, appeal_id=case.id, actor=disp, now=at,
            reason="该事项在本单位辖区内，请先行处置，需协同的可申请协办。",
        )  # fmt: skip
        case.status = AppealStatus.SIGNED.value
        self.later(case, at + timedelta(hours=self.rng.uniform(0.5, 4)), "contact")

    def _contact(self, case: Case, at: datetime) -> None:
        rng = self.rng
        appeal = service.contact(
            self.session, appeal_id=case.id, actor=self._unit(case), now=at,
            note=rng.choice(("已电话联系诉求人，约定上门查看。", "已联系诉求人核实情况。",
                             "已与诉求人沟通，正在协调处理。")),
        )  # fmt: skip
        self.note(case, appeal)
        lead = case.lead
        if (
            lead is not None
            and lead[0] == "region"
            and not case.whistled
            and rng.random() < (0.5 if case.item.whistle_candidate else 0.02)
        ):
            self.later(case, at + timedelta(hours=rng.uniform(1, 12)), "whistle")
        self.later(case, at + timedelta(hours=rng.uniform(2, 30)), "handle")

    def _whistle(self, case: Case, at: datetime) -> None:
        rng = self.rng
        if case.status not in ("signed", "in_progress") or case.grid is None:
            return
        depts = self.world.departments_of(case.grid)
        if not depts:
            return
        chosen = rng.sample(depts, k=min(len(depts), rng.choice((1, 1, 2))))
        row = service.whistle(
            self.session, appeal_id=case.id, department_ids=chosen, actor=self._unit(case),
            kind=rng.choice(("daily", "daily", "tackle")), now=at,
            reason=f"{case.item.name}问题涉及多个部门职责，街道吹哨，请相关部门到现场会商处置。",
        )  # fmt: skip
        case.whistled = True
        for dept in chosen:
            case.arrivals.append((row.id, dept))
            self.later(
                case, at + timedelta(minutes=rng.choice((12, 18, 25, 28, 35, 50))), "arrival"
            )

    def _arrival(self, case: Case, at: datetime) -> None:
        whistle_id, dept = case.arrivals.pop(0)
        if case.status not in ARRIVAL_STATUSES:
            return
        service.record_arrival(
            self.session, appeal_id=case.id, whistle_id=whistle_id, department_id=dept,
            note="已到达现场报到。", actor=self.actors.departments[dept], now=at,
        )  # fmt: skip

    def _finish_share(self, case: Case, low: float, high: float) -> timedelta:
        start = case.dispatched_at or case.received_at
        window = (case.finish_due or start + timedelta(days=7)) - start
        return window * self.rng.uniform(low, high)

    def _handle(self, case: Case, at: datetime) -> None:
        """The unit decides how handling goes: a review request, or a reply in time or late."""
        rng = self.rng
        if case.status != AppealStatus.IN_PROGRESS.value:
            return
        unit, r = self._unit(case), rng.random()
        if r < 0.02 and case.rounds == 0 and not case.parked:
            service.review_step(
                self.session, appeal_id=case.id, action=Action.REQUEST_PARK, actor=unit, now=at,
                text="该问题需纳入年度改造计划统筹解决，短期内无法办结，申请挂账。",
            )  # fmt: skip
            case.status = AppealStatus.PARK_REQUESTED.value
            self.later(case, at + timedelta(hours=rng.uniform(4, 48)), "decide_park")
            return
        if r < 0.03 and case.rounds == 0:
            service.review_step(
                self.session, appeal_id=case.id, action=Action.REQUEST_TERMINATION, actor=unit,
                now=at, text="诉求人诉求超出政策规定，已多次解释说明，诉求人仍坚持，申请终止办理。",
            )  # fmt: skip
            case.status = AppealStatus.TERMINATION_REQUESTED.value
            self.later(case, at + timedelta(hours=rng.uniform(4, 48)), "decide_termination")
            return
        due = case.finish_due
        if r < 0.075 and not case.extended and due is not None and at < due - timedelta(hours=6):
            new_due = due + timedelta(days=rng.choice((5, 7, 10, 15)))
            service.request_extension(
                self.session, appeal_id=case.id, new_due_at=new_due, actor=unit, now=at,
                reason="需协调产权单位并安排施工，原时限内无法完成，申请延期。",
            )  # fmt: skip
            case.extended = True
            case.status = AppealStatus.EXTENSION_REQUESTED.value
            self.later(case, at + timedelta(hours=rng.uniform(2, 30)), "decide_extension")
            return
        self._schedule_reply(case, at)

    def _back_to_work(self, case: Case, at: datetime, *, new_round: bool) -> None:
        """After the dispatcher's decision on a request the unit goes on handling; a refused
        termination or parking counts as a new round (an extension, granted or not, does not)."""
        case.status = AppealStatus.IN_PROGRESS.value
        if new_round:
            case.rounds += 1
        self._schedule_reply(case, at)

    def _schedule_reply(self, case: Case, at: datetime) -> None:
        rng = self.rng
        if case.slow:
            reply_at = (case.dispatched_at or at) + self._finish_share(case, 1.1, 3.0)
            if rng.random() < 0.4 and case.dispatched_at is not None:
                remind_at = (case.finish_due or at) + timedelta(hours=rng.uniform(2, 30))
                self.later(case, max(remind_at, at + timedelta(minutes=5)), "remind")
        else:
            reply_at = (case.dispatched_at or at) + self._finish_share(case, 0.15, 0.9)
        self.later(case, max(reply_at, at + timedelta(minutes=rng.randint(20, 240))), "reply")

    def _remind(self, case: Case, at: datetime) -> None:
        if case.status not in ("dispatched", "signed", "in_progress"):
            return
        if self.rng.random() < 0.5:
            service.remind(
                self.session, appeal_id=case.id, actor=self.actors.dispatcher, now=at,
                text="工单已超期，请抓紧办理并及时反馈。",
            )  # fmt: skip
        else:
            service.supervise(
                self.session, appeal_id=case.id, actor=self.actors.supervisor, now=at,
                text="该工单超期未办结，请承办单位主要负责人督促落实，尽快答复诉求人。",
            )  # fmt: skip

    def _decide_extension(self, case: Case, at: datetime) -> None:
        disp = self.actors.dispatcher
        if self.rng.random() < 0.85:
            ext = service.approve_extension(
                self.session, appeal_id=case.id, note="同意延期，请在新时限内办结。", actor=disp,
                now=at,
            )  # fmt: skip
            case.finish_due = ext.requested_due_at
        else:
            service.reject_extension(
                self.session, appeal_id=case.id, actor=disp, now=at,
                reason="延期理由不充分，请按原时限办理。",
            )  # fmt: skip
        self._back_to_work(case, at, new_round=False)

    def _decide_termination(self, case: Case, at: datetime) -> None:
        disp = self.actors.dispatcher
        if self.rng.random() < 0.8:
            appeal = service.review_step(
                self.session, appeal_id=case.id, action=Action.APPROVE_TERMINATION, actor=disp,
                now=at, text="经审核，符合终止办理条件。",
            )  # fmt: skip
            self.note(case, appeal)
            return
        service.review_step(
            self.session, appeal_id=case.id, action=Action.REJECT_TERMINATION, actor=disp, now=at,
            text="不符合终止办理条件，请继续办理并做好解释工作。",
        )  # fmt: skip
        self._back_to_work(case, at, new_round=True)

    def _decide_park(self, case: Case, at: datetime) -> None:
        disp, rng = self.actors.dispatcher, self.rng
        if rng.random() < 0.85:
            service.review_step(
                self.session, appeal_id=case.id, action=Action.APPROVE_PARK, actor=disp, now=at,
                text="经核实，同意挂账，条件具备后及时解决。",
            )  # fmt: skip
            case.status = AppealStatus.PARKED.value
            case.parked = True
            if rng.random() < 0.4:
                self.later(case, at + timedelta(days=rng.uniform(15, 90)), "unpark")
            return
        service.review_step(
            self.session, appeal_id=case.id, action=Action.REJECT_PARK, actor=disp, now=at,
            text="不符合挂账条件，请继续办理。",
        )  # fmt: skip
        self._back_to_work(case, at, new_round=True)

    def _unpark(self, case: Case, at: datetime) -> None:
        service.review_step(
            self.session, appeal_id=case.id, action=Action.UNPARK, actor=self._unit(case), now=at,
            text="改造资金已落实，恢复办理。",
        )  # fmt: skip
        case.status = AppealStatus.IN_PROGRESS.value
        case.finish_due = None
        self.later(case, at + timedelta(days=self.rng.uniform(3, 20)), "reply")

    def _reply(self, case: Case, at: datetime) -> None:
        rng = self.rng
        if case.status != AppealStatus.IN_PROGRESS.value:
            return
        texts = (
            f"经现场核实，已对“{case.item.name}”问题进行处置，并已向诉求人反馈办理结果。",
            f"已协调相关单位处理{case.item.name}问题，诉求人表示认可。",
            f"针对反映的{case.item.name}问题，已安排人员整改完毕，后续将加强巡查。",
            f"已向诉求人解释相关政策，{case.item.name}问题按规定办理中，已告知后续安排。",
        )
        appeal = service.reply(
            self.session, appeal_id=case.id, text=rng.choice(texts), actor=self._unit(case),
            now=at,
        )  # fmt: skip
        self.note(case, appeal)
        step = "verify" if case.flow is Flow.GRID else "callback"
        self.later(case, at + timedelta(hours=rng.uniform(3, 50)), step)
