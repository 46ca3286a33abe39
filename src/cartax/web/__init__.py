"""The web edge: the HTTP API under ``/api/v1`` and the server-rendered pages. No business rules live here.

Public surface::

    app = create_app(bootstrap(settings))
"""

from cartax.web.app import create_app

__all__ = ["create_app"]
