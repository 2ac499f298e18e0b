"""The local HTTP side: status page, REST API, metrics, security (docs/http.md).

``server.run_http`` serves it inside the agent's loop; ``app.create_app``
wires the routes (``api``), the page (``page``), ``/metrics`` (``metrics``)
and the security middleware (``security``) around a read-only ``view`` of the
running agent.
"""
