"""Protected mode: who may connect when the server has no password (Redis's acceptCommonHandler)."""

from typing import TYPE_CHECKING

from ..config import is_loopback

if TYPE_CHECKING:
    from .state import ServerState


def default_user_is_open(state: "ServerState") -> bool:
    """Whether the default user has no password (`nopass`: requirepass unset, or ACL SETUSER default nopass);
    Redis tests the flag alone, whether the user is on or off."""
    return state.acl.default.nopass


def protected_mode_refuses(state: "ServerState", host: str | None) -> bool:
    """protected-mode yes with an open default user: only loopback clients are served."""
    return state.config.protected_mode and default_user_is_open(state) and not is_loopback(host)
