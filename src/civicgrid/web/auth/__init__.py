"""Login and logout pages (``login``)."""
