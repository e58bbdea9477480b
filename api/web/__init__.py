"""The web pages: HTML served by the same app, with every script and style served by us.

``api.web.pages`` routes each page (``/``, ``/auditor``, ``/member`` ...) to an HTML file in
``pages/`` set inside the shared layout (``layout.html``); ``/static/...`` serves the styles
and the JavaScript modules in ``static/``. Pages read the public endpoints and GraphQL from
the browser; a member's key is made and kept in the browser, and the server sees only
signatures (docs/web.md).
"""
