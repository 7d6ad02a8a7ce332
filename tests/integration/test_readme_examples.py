"""The README's shell sessions that start a server (`$ redislite-server ... &`) really print what they show:
each block runs against a fresh server on free ports (6380 and 8000 in the text), its `$` lines through bash,
and every output must match the lines under it."""

import re
import shlex
import shutil
import subprocess

import pytest

from tests.servers import ROOT, redislite_with_http

README = ROOT / "README.md"
SERVER_LINE = re.compile(r"^\$ redislite-server (.*) &$")


def sessions() -> list[tuple[str, list[str], list[tuple[str, list[str]]]]]:
    """(title, server arguments, [(command, expected output lines)]) for each sh block that starts a server."""
    found = []
    for block in re.findall(r"```sh\n(.*?)```", README.read_text(), re.S):
        lines = block.rstrip("\n").split("\n")
        start = SERVER_LINE.match(lines[0])
        if start is None:
            continue
        steps = []
        for line in lines[1:]:
            if line.startswith("$ "):
                steps.append((line[2:], []))
            else:
                steps[-1][1].append(line)
        found.append((steps[0][0], shlex.split(start.group(1)), steps))
    return found


SESSIONS = sessions()


def test_the_readme_has_sessions_to_check():
    assert len(SESSIONS) >= 3


@pytest.mark.skipif(
    shutil.which("curl") is None or shutil.which("redis-cli") is None,
    reason="curl and redis-cli are needed to run the README's examples",
)
@pytest.mark.parametrize("title, arguments, steps", SESSIONS, ids=[s[0][:40] for s in SESSIONS])
def test_a_readme_session_prints_what_it_shows(tmp_path, title, arguments, steps):
    arguments = list(arguments)
    for option in ("--port", "--http-port"):  # the block's ports give way to free ones
        index = arguments.index(option)
        del arguments[index : index + 2]
    with redislite_with_http(*arguments, cwd=tmp_path) as server:
        for command, expected in steps:
            command = command.replace("localhost:8000", f"localhost:{server.http_port}")
            # redis-cli quotes its replies only on a terminal: --no-raw prints them as a reader of the README sees
            command = command.replace("redis-cli -p 6380", f"redis-cli --no-raw -p {server.port}")
            result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=30)
            assert result.stdout.strip().split("\n") == expected, command
