"""Use cases of the auth package: users, posts, API tokens, logins, web sessions, account
lifecycle (passwords, deactivation, locks) and TOTP two-factor authentication.

Every use case is one transaction (``@use_case``) and writes an audit row for what it changed;
failed logins and lockouts included. Reads that the edges need (``actor_for_user``,
``list_users``, ``describe_posts``) never commit. Callers import from here; the modules behind
it are split by concept (users, posts, tokens, logins).
"""

from civicgrid.auth.service.accounts import (
    change_password,
    deactivate_user,
    list_sessions,
    lock_user,
    locked_addresses,
    reactivate_user,
    reset_password,
    revoke_sessions,
    unlock_user,
)
from civicgrid.auth.service.logins import (
    BAD_CREDENTIALS,
    SecondFactorRequired,
    actor_for_session,
    csrf_matches,
    login,
    login_for_token,
    login_second_factor,
    logout,
    session_hash_of_cookie,
)
from civicgrid.auth.service.people import Person, people_by_id
from civicgrid.auth.service.posts import (
    AnchorIds,
    PostView,
    add_post,
    create_user_with_post,
    describe_posts,
    remove_post,
    resolve_anchor_codes,
)
from civicgrid.auth.service.tokens import (
    TOKEN_PREFIX,
    actor_for_token,
    issue_token,
    list_tokens,
    revoke_token,
)
from civicgrid.auth.service.twofactor import (
    TotpEnrolment,
    confirm_totp,
    disable_totp,
    pending_totp,
    regenerate_recovery_codes,
    reset_totp,
    start_totp,
    unused_recovery_codes,
)
from civicgrid.auth.service.users import (
    actor_for_user,
    build_actor,
    create_user,
    find_user_id,
    get_user,
    list_users,
)

__all__ = [
    "BAD_CREDENTIALS",
    "TOKEN_PREFIX",
    "AnchorIds",
    "Person",
    "PostView",
    "SecondFactorRequired",
    "TotpEnrolment",
    "actor_for_session",
    "actor_for_token",
    "actor_for_user",
    "add_post",
    "build_actor",
    "change_password",
    "confirm_totp",
    "create_user",
    "create_user_with_post",
    "csrf_matches",
    "deactivate_user",
    "describe_posts",
    "disable_totp",
    "find_user_id",
    "get_user",
    "issue_token",
    "list_sessions",
    "list_tokens",
    "list_users",
    "lock_user",
    "locked_addresses",
    "login",
    "login_for_token",
    "login_second_factor",
    "logout",
    "pending_totp",
    "people_by_id",
    "reactivate_user",
    "regenerate_recovery_codes",
    "remove_post",
    "reset_password",
    "reset_totp",
    "resolve_anchor_codes",
    "revoke_sessions",
    "revoke_token",
    "session_hash_of_cookie",
    "start_totp",
    "unlock_user",
    "unused_recovery_codes",
]
