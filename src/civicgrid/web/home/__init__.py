"""The home page (``start``)."""
