"""Storage of media (appeal photos): one interface, a local-folder adapter by default."""
