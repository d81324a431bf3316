"""Read side of the caller's self-service: finding an appeal by its number and the caller's
phone tail (查询进度), and counting failed tracking attempts.

The visitor is anonymous, so no data scope applies: the number together with the last four
digits of the phone given at intake is the proof of being the caller. The phone is compared
in clear (decrypted), never through its masked display form.
"""

from __future__ import annotations

import hmac
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.appeals import self_service_rules
from civicgrid.appeals.models import Appeal, TrackingFailure
from civicgrid.kit.crypto import FieldCipher


def find_for_tracking(
    session: Session, *, number: str, phone_last4: str, cipher: FieldCipher
) -> Appeal | None:
    """The appeal with this number whose caller's phone ends in ``phone_last4``; None
    otherwise. A wrong number and a wrong phone give the same answer, so numbers are not
    confirmed; anonymous appeals and appeals without a phone are never found."""
    appeal = session.scalar(
        select(Appeal).where(Appeal.number == self_service_rules.normalise_number(number))
    )
    if appeal is None or appeal.anonymous or not appeal.caller_phone_enc:
        return None
    tail = self_service_rules.phone_last4(cipher.decrypt(appeal.caller_phone_enc))
    if not tail or not hmac.compare_digest(tail, phone_last4):
        return None
    return appeal


def failed_tracking_attempts(session: Session, *, number: str, since: datetime) -> int:
    """Failed tracking attempts for this number at or after ``since``."""
    count = session.scalar(
        select(func.count(TrackingFailure.id)).where(
            TrackingFailure.number == self_service_rules.normalise_number(number),
            TrackingFailure.at >= since,
        )
    )
    return int(count or 0)
