"""The view layer below the routes: time ranges, chart series and sample views, shared by the data routes, the
Grafana-style API and the live feed. It never reaches for the request or the app: everything it needs (query
arguments, the store, the client registry) is passed in, so the Grafana API and the live feed call it as the
data routes do.
"""
