"""What the differential tests share: a weighted registry of command builders, and the comparison of two
servers' raw replies (which also feeds the coverage table that conftest prints)."""

from .conftest import COVERAGE, ERROR_REPLIES


def as_bytes(arg) -> bytes:
    return arg if isinstance(arg, bytes) else str(arg).encode()


class Builders(dict):
    """name -> (weight, build(generator) -> argv). `@BUILDERS.add("name", weight)` registers one."""

    def add(self, name: str, weight: float):
        def register(function):
            self[name] = (weight, function)
            return function

        return register

    def pick(self, rng):
        """A builder chosen by weight."""
        name = rng.choices(list(self), weights=[weight for weight, _ in self.values()])[0]
        return self[name][1]


def compare_replies(
    label: str, commands: list, expected: list[bytes], actual: list[bytes], normalize=None, skip=(), shown: int = 15
) -> None:
    """Assert that every reply equals real Redis's (after `normalize(argv, reply)` when given); commands
    in `skip` (by identity) are not compared or counted."""
    mismatches = []
    for index, (argv, want, got) in enumerate(zip(commands, expected, actual)):
        if any(argv is skipped for skipped in skip):
            continue
        name = as_bytes(argv[0]).decode("latin-1").lower()
        COVERAGE[name] += 1
        if want.startswith(b"-"):
            ERROR_REPLIES[name] += 1
        if (normalize(argv, want) != normalize(argv, got)) if normalize else want != got:
            shown_argv = [as_bytes(arg)[:80] for arg in argv][:8]
            mismatches.append(f"#{index} {shown_argv}\n    redis:     {want[:300]!r}\n    redislite: {got[:300]!r}")
    assert not mismatches, f"{label}: {len(mismatches)} replies differ\n" + "\n".join(mismatches[:shown])
