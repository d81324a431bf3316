"""Users, roles, posts, tokens, web sessions and data scope."""
