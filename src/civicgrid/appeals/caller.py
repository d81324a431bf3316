"""The caller's identity (诉求人): encrypted at rest, shown according to who is looking.

Name and phone are Fernet-encrypted with the configured field key (``kit.crypto``); the phone
also gets a keyed hash to find repeat callers. GB/T 33358-2016 requires a confidential order to
stay confidential: handlers never see a confidential caller; centre staff see masked values;
the resident who submitted the appeal sees their own data.
"""

from __future__ import annotations

from dataclasses import dataclass

from civicgrid.appeals.models import Appeal
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.kit.crypto import FieldCipher
from civicgrid.kit.masking import mask_name, mask_phone

CONFIDENTIAL_LABEL = "（保密）"
HANDLER_ROLES = frozenset(
    {Role.STREET_HANDLER, Role.DEPARTMENT_HANDLER, Role.UTILITY_HANDLER, Role.GRID_WORKER}
)


@dataclass(frozen=True, slots=True)
class CallerView:
    """What one actor may see of the caller."""

    name: str
    phone: str
    hidden: bool


def seal(cipher: FieldCipher, value: str) -> str:
    """The stored form of a caller field ("" stays "")."""
    return cipher.encrypt(value) if value else ""


def phone_hash(cipher: FieldCipher, phone: str) -> str:
    return cipher.keyed_hash(phone) if phone else ""


def _open(cipher: FieldCipher, token: str) -> str:
    return cipher.decrypt(token) if token else ""


def caller_view(appeal: Appeal, actor: Actor, cipher: FieldCipher) -> CallerView:
    """The caller as ``actor`` may see it.

    * the submitting resident: their own values;
    * a confidential appeal seen by a handler or grid worker: nothing;
    * handlers of a non-confidential appeal: the real values (they must call the caller);
    * everyone else (centre staff, leaders, admins): masked values.
    """
    if appeal.anonymous:
        return CallerView("（匿名）", "", hidden=True)
    name = _open(cipher, appeal.caller_name_enc)
    phone = _open(cipher, appeal.caller_phone_enc)
    if actor.user_id is not None and actor.user_id == appeal.resident_user_id:
        return CallerView(name, phone, hidden=False)
    is_handler = bool(actor.roles) and actor.roles <= HANDLER_ROLES | {Role.RESIDENT}
    if is_handler and actor.has_role(*HANDLER_ROLES):
        if appeal.confidential:
            return CallerView(CONFIDENTIAL_LABEL, "", hidden=True)
        return CallerView(name, phone, hidden=False)
    return CallerView(mask_name(name), mask_phone(phone), hidden=appeal.confidential)
