"""Delivery channels: each takes a claimed Notification and returns the provider's id, or raises
(the task then retries with backoff). Sending only; the outbox bookkeeping is in delivery.py."""

from notifications.models import Notification


class DeliveryError(Exception):
    """A channel could not deliver (the provider refused, timed out or answered nonsense)."""


def deliver(notification: Notification) -> str:
    from notifications.channels import email, in_app, sms

    senders = {Notification.Channel.EMAIL: email.send, Notification.Channel.SMS: sms.send,
               Notification.Channel.IN_APP: in_app.send}
    sender = senders.get(notification.channel)
    if sender is None:
        raise DeliveryError(f"unknown channel {notification.channel!r}")
    return sender(notification)
