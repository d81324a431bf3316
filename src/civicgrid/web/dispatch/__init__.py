"""Dispatcher pages: the dispatch queue (``queue``)."""
