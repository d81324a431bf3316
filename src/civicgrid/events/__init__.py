"""Outbound events: what happened to an appeal, told to other systems.

The appeal use cases emit one event row into the notify outbox (channel ``event``) in their own
transaction; a job fans each event out to the webhook subscriptions that asked for its type
(signed per Standard Webhooks) and, when configured, to a RabbitMQ topic exchange; the notify
delivery job sends those rows with retries, backoff and a dead letter."""
