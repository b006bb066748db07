"""The Grafana-style query API: the simpod-json-datasource contract under /api/grafana/.

``api.app.create_app`` calls ``init_app``. The contract is
shared/specs/grafana-json-datasource.openapi.yaml; the README's Grafana section says what each endpoint
answers.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from api.grafana.routes import bp

    app.register_blueprint(bp)
