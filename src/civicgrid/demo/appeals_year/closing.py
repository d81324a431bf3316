"""How appeals end in the demo year: the operator's callback (mostly 满意, some 基本满意 /
不满意, some reopened), the callback after a direct answer, the grid worker's verification of a
patrol report, and closing what intake disposed of."""

from __future__ import annotations

from datetime import datetime, timedelta

from civicgrid.appeals import service
from civicgrid.appeals.states import AppealStatus, Satisfaction
from civicgrid.demo.appeals_year.timeline import Case, Timeline


class ClosingSteps(Timeline):
    """The steps after the reply, and the close of appeals disposed of at intake."""

    def _satisfaction(self) -> tuple[bool, Satisfaction]:
        r = self.rng.random()
        if r < 0.86:
            return True, Satisfaction.SATISFIED
        if r < 0.95:
            return self.rng.random() < 0.85, Satisfaction.FAIRLY_SATISFIED
        return self.rng.random() < 0.3, Satisfaction.DISSATISFIED

    def _callback(self, case: Case, at: datetime) -> None:
        rng, op = self.rng, self.actors.operator
        if rng.random() < 0.03:
            appeal = service.close_without_callback(
                self.session, appeal_id=case.id, actor=op, now=at,
                reason="三次回访均未接通，按规定结案。",
            )  # fmt: skip
            self.note(case, appeal)
            return
        resolved, rating = self._satisfaction()
        unhappy = not resolved or rating is Satisfaction.DISSATISFIED
        reopen = unhappy and case.rounds == 0 and rng.random() < 0.7
        service.callback(
            self.session, appeal_id=case.id, resolved=resolved, satisfaction=rating,
            actor=op, now=at, reopen=reopen,
            note="诉求人对办理结果表示认可。" if not unhappy else "诉求人认为问题未得到解决。",
            reason="诉求人反映问题仍未解决，要求重新办理。" if reopen else "",
        )  # fmt: skip
        self.summary.satisfaction[rating.value] += 1
        if reopen:
            case.rounds += 1
            case.status = AppealStatus.IN_PROGRESS.value
            self.later(case, at + timedelta(days=rng.uniform(1, 6)), "reply")
        else:
            case.status = AppealStatus.CLOSED.value
            self._forget(case)

    def _callback_answer(self, case: Case, at: datetime) -> None:
        resolved, rating = self._satisfaction()
        if rating is Satisfaction.DISSATISFIED:
            resolved = True  # an answered inquiry was answered; the rating is about the answer
        service.callback(
            self.session, appeal_id=case.id, resolved=resolved, satisfaction=rating,
            note="来电人表示已了解办理方式。", actor=self.actors.operator, now=at,
        )  # fmt: skip
        self.summary.satisfaction[rating.value] += 1
        case.status = AppealStatus.CLOSED.value
        self._forget(case)

    def _verify(self, case: Case, at: datetime) -> None:
        worker = case.reporter
        if worker is None:
            return
        fixed = case.rounds > 0 or self.rng.random() < 0.94
        appeal = service.verify(
            self.session, appeal_id=case.id, fixed=fixed, actor=worker, now=at,
            note="现场核查，问题已整改到位。" if fixed else "现场核查，问题仍然存在，退回重新处置",
        )  # fmt: skip
        self.note(case, appeal)
        if not fixed:
            case.rounds += 1
            self.later(case, at + timedelta(days=self.rng.uniform(1, 4)), "reply")

    def _close_disposed(self, case: Case, at: datetime) -> None:
        appeal = service.close_disposed(
            self.session, appeal_id=case.id, actor=self.actors.operator, now=at
        )
        self.note(case, appeal)
