"""The platform's background work beside the web servers during the load test, in one process.

In services mode the web processes do not relay events; this runs what the embedded mode runs in its
server (``cartax.web.app``): the outbox relay to the in-process consumers (cases, notify, payout), the
payout worker and the notify dispatcher (to the development fakes), until SIGTERM. It is the load test's
stand-in for ``cartax events relay`` + ``cartax events consume`` + ``cartax notify send`` + ``cartax payout
run``, without a NATS stream shared with whatever else runs on the machine.

    CARTAX_EVENT_BUS=inprocess CARTAX_DATABASE_URL=… python bench/load/events_worker.py
"""

from __future__ import annotations

import signal
import threading

from cartax.bootstrap import bootstrap, connect

STOP_SECONDS = 10


def main() -> None:
    services = connect(bootstrap())
    assert services.relay is not None, "run with CARTAX_EVENT_BUS=inprocess"
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threads = [
        threading.Thread(target=services.relay.run, args=(stop,), name="outbox-relay"),
        threading.Thread(target=services.payout.run, args=(stop,), name="payout"),
        threading.Thread(target=services.notify.run, args=(stop,), name="notify-dispatch"),
    ]
    for thread in threads:
        thread.start()
    print("events worker: relaying, paying and dispatching until stopped", flush=True)
    stop.wait()
    for thread in [*threads, *services.payout.threads]:
        thread.join(STOP_SECONDS)
    services.close()


if __name__ == "__main__":
    main()
