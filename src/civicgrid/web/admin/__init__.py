"""Administration pages (``manage``): territory import, users and posts, the catalogue."""
