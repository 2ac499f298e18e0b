"""Protocol adapters: the agent's side of the line seam (docs/architecture.md, "The seam").

``adapter`` defines what the poller needs from a protocol (``LineAdapter``),
``actions`` the canonical remote actions, ``registry`` which adapter serves
which ``protocol``. Each protocol has one folder here (``sas/``, ``gapi/``)
holding its configuration model and its adapter; nothing else in the agent
imports a protocol core.

The configuration's ``[[lines]]`` union is built from the line models in
these folders, and those build on ``agent.config``: the configuration
package is therefore loaded first, whichever of the two is imported first.
"""

import agent.config  # noqa: F401 - load order, see above
