"""Use cases of the auth package: users, posts, API tokens, logins and web sessions.

Every use case is one transaction (``@use_case``) and writes an audit row for what it changed;
failed logins and lockouts included. Reads that the edges need (``actor_for_user``,
``list_users``, ``describe_posts``) never commit. Callers import from here; the modules behind
it are split by concept (users, posts, tokens, logins).
"""

from civicgrid.auth.service.logins import (
    BAD_CREDENTIALS,
    actor_for_session,
    csrf_matches,
    login,
    login_for_token,
    logout,
)
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
    "PostView",
    "actor_for_session",
    "actor_for_token",
    "actor_for_user",
    "add_post",
    "build_actor",
    "create_user",
    "create_user_with_post",
    "csrf_matches",
    "describe_posts",
    "find_user_id",
    "get_user",
    "issue_token",
    "list_tokens",
    "list_users",
    "login",
    "login_for_token",
    "logout",
    "remove_post",
    "resolve_anchor_codes",
    "revoke_token",
]
