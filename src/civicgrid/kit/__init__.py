"""Domain-free helpers: masking, pagination, spreadsheets, htmx. Imports no domain package."""
