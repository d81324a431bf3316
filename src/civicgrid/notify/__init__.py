"""Notifications: one ``enqueue`` interface writing an outbox row in the caller's transaction;
senders (the in-app inbox by default, SMS or WeChat adapters) deliver after commit."""
