"""The view layer below the routes: time ranges, chart series and sample views, shared by the data routes, the
Grafana-style API and the live feed. Flask-free: everything it needs (query arguments, the store) is passed in.
"""
