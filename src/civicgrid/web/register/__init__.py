"""Register pages: the resident search (``search``) and the community map (``community_map``)."""
