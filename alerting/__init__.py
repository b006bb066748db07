"""The alerting worker (`statusmon alerting`): evaluates alert rules against the time-series store, tracks
offline hosts and notifies Slack or a generic webhook.

- ``rules``: what a rule is, and which rule applies to a client's series (per-client overrides).
- ``machine``: the pure state machine, ``evaluate(rule, state, samples, now) -> (state, transitions)``.
- ``engine``: one batched evaluation cycle (one store query per metric family for every client).
- ``persistence``: states, history, the notification outbox and channel status in the metadata DB.
- ``delivery``: drains the outbox through ``transports``.
- ``main``: the process entry point (``run(argv)``).

The worker never imports Flask or gevent.
"""
