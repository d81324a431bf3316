"""Pages of notices to people that staff set for themselves."""
