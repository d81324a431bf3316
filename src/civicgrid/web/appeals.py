"""Appeal pages of the console, split by concept:

* :mod:`civicgrid.web.forms` — cipher and media dependencies, role check, form parsing, flashes;
* :mod:`civicgrid.web.appeal_pages` — intake, inbox, supervision board, list rows;
* :mod:`civicgrid.web.appeal_actions` — the fields of an action form and the use case behind it;
* :mod:`civicgrid.web.appeal_detail` — the detail page and the action posts.

This module re-exports the names other page modules import, so ``from civicgrid.web.appeals
import require`` keeps working; new code imports from the modules above.
"""

from civicgrid.web.appeal_actions import ActionFields, perform
from civicgrid.web.appeal_detail import ActionForm, action_forms, after_action, detail_context
from civicgrid.web.appeal_pages import (
    INBOX_ROLES,
    INTAKE_ROLES,
    OPEN_STATUSES,
    PAGE_SIZE,
    AppealRow,
    appeal_row,
    list_rows,
)
from civicgrid.web.forms import (
    Cipher,
    Media,
    flash_for,
    located_region_id,
    parse_local_datetime,
    parse_point,
    read_photos,
    refusal,
    require,
)

__all__ = [
    "INBOX_ROLES",
    "INTAKE_ROLES",
    "OPEN_STATUSES",
    "PAGE_SIZE",
    "ActionFields",
    "ActionForm",
    "AppealRow",
    "Cipher",
    "Media",
    "action_forms",
    "after_action",
    "appeal_row",
    "detail_context",
    "flash_for",
    "list_rows",
    "located_region_id",
    "parse_local_datetime",
    "parse_point",
    "perform",
    "read_photos",
    "refusal",
    "require",
]
