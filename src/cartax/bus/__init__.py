"""Event delivery: from the outbox to the consumers, at least once, with bounded retries and parking.

- Embedded mode: :class:`Relay` reads the outbox and hands each event to :class:`InProcessBus`, which
  calls the subscribed handlers in the same process.
- Services mode: :func:`cartax.bus.jetstream.relay_to_jetstream` publishes the outbox to NATS
  JetStream (deduplicated on the event id) and :func:`cartax.bus.jetstream.consume` runs a durable
  pull consumer per subscription and event type.

Either way a handler must be idempotent (an event may come twice), a handler that fails is retried a
bounded number of times, and then the event is *parked* (``parked_events``) where an operator sees it
(``cartax events parked``).
"""

from cartax.bus.model import Delivery, Handler, Subscription, describe_error
from cartax.bus.relay import InProcessBus, Publisher, Relay

__all__ = ["Delivery", "Handler", "InProcessBus", "Publisher", "Relay", "Subscription", "describe_error"]
