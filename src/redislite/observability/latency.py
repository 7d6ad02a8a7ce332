"""LATENCY: per-event latency spikes above latency-monitor-threshold (milliseconds)."""

from collections import deque

HISTORY = 160


class LatencyMonitor:
    def __init__(self):
        self.events: dict[str, deque] = {}  # event -> (unix seconds, ms) samples
        self.max_ms: dict[str, int] = {}

    def record(self, event: str, latency_ms: int, now_s: int) -> None:
        samples = self.events.setdefault(event, deque(maxlen=HISTORY))
        if samples and samples[-1][0] == now_s:
            samples[-1] = (now_s, max(samples[-1][1], latency_ms))
        else:
            samples.append((now_s, latency_ms))
        self.max_ms[event] = max(self.max_ms.get(event, 0), latency_ms)

    def latest(self) -> list:
        return [
            [event.encode(), samples[-1][0], samples[-1][1], self.max_ms[event]]
            for event, samples in self.events.items()
            if samples
        ]

    def history(self, event: str) -> list:
        return [[ts, ms] for ts, ms in self.events.get(event, ())]

    def reset(self, events: list[str] | None = None) -> int:
        names = list(self.events) if not events else [e for e in events if e in self.events]
        for name in names:
            self.events.pop(name, None)
            self.max_ms.pop(name, None)
        return len(names)
