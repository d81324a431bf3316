"""The leader's dashboard (``leader``) and the figures it reads on request (``figures``)."""
