"""FAILOVER: a coordinated switch from this master to one of its replicas (Redis's failoverCommand,
updateFailoverStatus, abortFailover).

The master pauses writes, waits until a replica (the one named with TO, else the first to get there) has
acknowledged the whole stream, then becomes a replica of it and asks it with `PSYNC <replid> <offset> FAILOVER`
to take over: the target promotes itself and continues our history (+CONTINUE), which ends the failover. A
TIMEOUT that passes first aborts it (or, with FORCE, fails over to the named target anyway); a target that
refuses makes this server a master again. Writes stay paused until the failover ends either way.
"""

import logging
from typing import TYPE_CHECKING

from .. import errors
from ..errors import CommandError

if TYPE_CHECKING:
    from ..engine.state import ServerState

log = logging.getLogger("redislite.replication")

NO_FAILOVER = "no-failover"
WAITING_FOR_SYNC = "waiting-for-sync"
IN_PROGRESS = "failover-in-progress"
PAUSE_MS = 365 * 24 * 3600 * 1000  # "until the failover ends": Redis pauses for LLONG_MAX


class Failover:
    def __init__(self, state: "ServerState"):
        self.state = state
        self.status = NO_FAILOVER  # INFO master_failover_state
        self.target: tuple[str, int] | None = None
        self.deadline_ms = 0  # 0: no TIMEOUT
        self.force = False
        self.paused_before: tuple[int, bool] | None = None  # CLIENT PAUSE in force when the failover began

    @property
    def in_progress(self) -> bool:
        """The demoted master's PSYNC must carry FAILOVER."""
        return self.status == IN_PROGRESS

    def start(self, target: tuple[str, int] | None, timeout_ms: int, force: bool) -> None:
        """failoverCommand's checks after its arguments, then the pause."""
        state = self.state
        replication = state.replication
        if self.status != NO_FAILOVER:
            raise CommandError(errors.FAILOVER_IN_PROGRESS)
        if replication.master_host is not None:
            raise CommandError(errors.FAILOVER_ON_REPLICA)
        if not replication.replicas:
            raise CommandError(errors.FAILOVER_NO_REPLICAS)
        if force and (not timeout_ms or target is None):
            raise CommandError(errors.FAILOVER_FORCE_NEEDS_TARGET)
        if target is not None:
            replica = self._replica_at(target)
            if replica is None:
                raise CommandError(errors.FAILOVER_TARGET_NOT_REPLICA)
            if not replica.online:
                raise CommandError(errors.FAILOVER_TARGET_NOT_ONLINE)
        log.info("failover_requested", extra={"target": f"{target[0]}:{target[1]}" if target else "any replica"})
        now_ms = state.clock_ms()
        self.target, self.force = target, force
        self.deadline_ms = now_ms + timeout_ms if timeout_ms else 0
        self.status = WAITING_FOR_SYNC
        paused = state.pause_until_ms > now_ms
        self.paused_before = (state.pause_until_ms, state.pause_writes_only) if paused else None
        state.pause_writes_only = not paused or state.pause_writes_only
        state.pause_until_ms = now_ms + PAUSE_MS

    def _replica_at(self, target: tuple[str, int]):
        for replica in self.state.replication.replicas:
            if (replica.ip, replica.listening_port) == target:
                return replica
        return None

    def check(self) -> None:
        """updateFailoverStatus, on every ACK and cron tick while waiting: time out, or go once a replica has
        acknowledged everything."""
        if self.status != WAITING_FOR_SYNC:
            return
        state = self.state
        offset = state.replication.master_repl_offset
        if self.deadline_ms and state.clock_ms() >= self.deadline_ms:
            if not self.force:
                self.abort("replica never caught up before timeout")
                return
            log.info("failover_timeout_forced", extra={"target": self.target})
            self._demote()
            return
        if self.target is not None:
            replica = self._replica_at(self.target)
            synced = replica is not None and replica.ack_offset == offset
        else:
            replica = next((r for r in state.replication.replicas if r.ack_offset == offset), None)
            synced = replica is not None
            if replica is not None:
                self.target = (replica.ip, replica.listening_port)
        if synced:
            log.info("failover_target_synced", extra={"target": f"{self.target[0]}:{self.target[1]}"})
            self._demote()

    def _demote(self) -> None:
        """Become a replica of the target; the link's PSYNC carries FAILOVER (ReplicaLink._psync_argv)."""
        assert self.target is not None
        self.status = IN_PROGRESS
        link = self.state.replica_link
        assert link is not None
        link.replicate_from(*self.target)

    def answered(self, accepted: bool, reply: str) -> None:
        """The target's answer to PSYNC ... FAILOVER (or the link failing before one came)."""
        if self.status != IN_PROGRESS:
            return
        if accepted:
            log.info("failover_succeeded", extra={"target": self.target})
            self._end()
        else:
            self.abort(f"failover target rejected the request: {reply}")

    def abort(self, reason: str) -> None:
        """abortFailover: a demoted master becomes a master again, writes resume."""
        log.warning("failover_aborted", extra={"reason": reason, "state": self.status})
        if self.status == IN_PROGRESS:
            link = self.state.replica_link
            assert link is not None
            link.promote()
        self._end()

    def _end(self) -> None:
        state = self.state
        self.status, self.target, self.deadline_ms, self.force = NO_FAILOVER, None, 0, False
        before, self.paused_before = self.paused_before, None
        if before is not None and before[0] > state.clock_ms():  # a CLIENT PAUSE that has not ended yet
            state.pause_until_ms, state.pause_writes_only = before
            return
        state.pause_until_ms, state.pause_writes_only = 0, False
        state.wake_paused_clients()
