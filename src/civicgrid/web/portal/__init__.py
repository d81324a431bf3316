"""The resident portal (``resident``): reports, own appeals, tracking and self-rating."""
