"""The open-files limit a daemon with many serial lines needs.

Each pyserial port holds its descriptor and two pipes, and every HTTP or
upstream connection one more, so a big floor needs more than the usual soft
limit of 1,024. ``raise_file_limit`` raises the soft limit towards the hard
one (the systemd unit sets ``LimitNOFILE``) and says when even the hard
limit is short, so the shortage shows in the log rather than as failed
opens later.
"""

from __future__ import annotations

import logging
import resource

log = logging.getLogger("agent")


def raise_file_limit(needed: int) -> int:
    """Raise the soft open-files limit to ``needed`` if the hard one allows; the new soft one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return soft
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    if target < needed:
        log.warning(
            "open-files limit %d is below the %d this floor needs; raise LimitNOFILE", hard, needed
        )
    return target
