"""Request protection at the edge: security headers, throttling, idempotent writes, answers
while the database is unreachable, and the health endpoints
(docs/decisions/0003-request-protection.md)."""
