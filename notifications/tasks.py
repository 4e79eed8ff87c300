"""Celery tasks: thin wrappers around the delivery services (run by `celery -A partner_portal
worker`; the sweep by `celery -A partner_portal beat`)."""

from celery import shared_task

from notifications import services


@shared_task(name="notifications.tasks.fan_out_event", acks_late=True, ignore_result=True)
def fan_out_event(event_id: int) -> None:
    for delivery_id in services.fan_out(event_id=event_id):
        services.enqueue_delivery(delivery_id)
    for delivery_id in services.webhooks.pending_ids(event_id):
        services.enqueue_webhook(delivery_id)


# max_retries=None: the services decide when a delivery stops (NOTIFICATION_MAX_ATTEMPTS,
# WEBHOOK_RETRY_HOURS) and return None then. Celery's default of 3 stopped the retries after
# the 4th attempt with MaxRetriesExceededError (`retry(max_retries=None)` means "the task's
# default", not "no limit"), leaving the rest to the sweep.


@shared_task(
    bind=True,
    name="notifications.tasks.send_email_delivery",
    acks_late=True,
    ignore_result=True,
    max_retries=None,
)
def send_email_delivery(self, delivery_id: int) -> None:
    delay = services.send_email(delivery_id=delivery_id)
    if delay is not None:
        # Celery's own retry with backoff; if that hand-off is lost too, the sweep finds the
        # row pending and due.
        raise self.retry(countdown=delay)
    following = services.next_email_in_line(delivery_id)
    if following is not None:
        services.enqueue_delivery(following)


@shared_task(
    bind=True,
    name="notifications.tasks.send_webhook_delivery",
    acks_late=True,
    ignore_result=True,
    max_retries=None,
)
def send_webhook_delivery(self, delivery_id: int) -> None:
    delay = services.send_webhook(delivery_id=delivery_id)
    if delay is not None:
        # Backoff through Celery; a lost hand-off is found by the sweep (pending and due).
        raise self.retry(countdown=delay)
    following = services.webhooks.next_in_line(delivery_id)
    if following is not None:
        services.enqueue_webhook(following)


@shared_task(name="notifications.tasks.sweep", ignore_result=True)
def sweep() -> dict:
    return services.sweep()
