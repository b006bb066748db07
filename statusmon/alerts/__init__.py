"""The alert model that both the API and the worker use: rules (what applies to which series) and the pure
state machine (rule, state, samples, now) -> (state, transitions). The worker (``alerting``) runs it."""
