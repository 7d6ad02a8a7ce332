"""The fuzzer's own parts: the generator's determinism, deny-list and class exclusion, and the log oracle."""

import hiredis
import pytest

from .fuzzer import Control, Finding, attributed, log_problem
from .generator import CLASSES, CommandTable, Generator, pattern_arguments

BATCHES = 20


@pytest.fixture(scope="module")
def table(server):
    control = Control(server.port)
    try:
        yield CommandTable.from_server(control.call)
    finally:
        control.close()


def batches(table, seed=7, exclude=()):
    generator = Generator(seed, table, exclude)
    return [generator.next_batch(400) for _ in range(BATCHES)]


def commands_sent(batch):
    """The argv of every whole command the batch sends on a connection (bent frames left aside)."""
    for step in batch.steps:
        if step.kind != "send" or step.data[:1] != b"*" or step.note.startswith(("mutated", "split", "cut")):
            continue
        reader = hiredis.Reader()
        reader.feed(step.data)
        while (argv := reader.gets()) is not False:
            yield argv


def test_the_same_seed_gives_the_same_batches(table):
    first, again, other = batches(table), batches(table), batches(table, seed=8)
    assert [batch.to_json() for batch in first] == [batch.to_json() for batch in again]
    assert [batch.to_json() for batch in first] != [batch.to_json() for batch in other]


def test_every_known_class_is_exercised_and_can_be_left_out(table):
    tagged = {step.known for batch in batches(table) for step in batch.steps if step.known}
    assert {"reader", "glob", "debug-object"} <= tagged
    left_out = {step.known for batch in batches(table, exclude=CLASSES) for step in batch.steps if step.known}
    assert left_out == set()


def test_no_generated_command_is_on_the_deny_list(table):
    generator = Generator(7, table, CLASSES)
    sent = [argv for batch in batches(table, exclude=CLASSES) for argv in commands_sent(batch)]
    assert len(sent) > 5000
    assert [argv for argv in sent if generator.refusal(argv) is not None] == []


@pytest.mark.parametrize(
    "argv",
    [
        [b"SHUTDOWN", b"NOSAVE"],
        [b"shutdown"],
        [b"DEBUG", b"SLEEP", b"5"],
        [b"DEBUG", b"SLEEP", b"0x10"],
        [b"CLIENT", b"PAUSE", b"100000"],
        [b"CONFIG", b"SET", b"port", b"1"],
        [b"config", b"set", b"hz", b"5", b"DIR", b"/"],
        [b"CONFIG", b"SET", b"requirepass", b"x"],
        [b"SRANDMEMBER", b"set", b"-100000"],
        [b"DEBUG", b"POPULATE", b"100000000"],
        [b"LCS", b"str", b"big-str"],
        [b"DEBUG", b"SLEEP", b"inf"],
        [b"KEYS", b"a*a*a*b"],
        [b"CONFIG", b"SET", b"tcp-keepalive", b"40000"],
    ],
)
def test_the_deny_list_and_left_out_classes_refuse(table, argv):
    assert Generator(1, table, CLASSES).refusal(argv) is not None


@pytest.mark.parametrize(
    "argv",
    [
        [b"DEBUG", b"SLEEP", b"0.05"],
        [b"CLIENT", b"PAUSE", b"20"],
        [b"CONFIG", b"SET", b"maxmemory", b"1"],
        [b"SRANDMEMBER", b"set", b"-10"],
        [b"LCS", b"lcs:a", b"lcs:b"],
        [b"KEYS", b"a*b"],
        [b"SET", b"k", b"a*a*a*a"],
    ],
)
def test_what_is_neither_denied_nor_left_out_passes(table, argv):
    assert Generator(1, table, CLASSES).refusal(argv) is None


def test_known_inputs_pass_when_their_class_is_in(table):
    generator = Generator(1, table, ())
    assert generator.refusal([b"DEBUG", b"SLEEP", b"inf"]) is None
    assert generator.refusal([b"KEYS", b"a*a*a*b"]) is None
    assert generator.refusal([b"DEBUG", b"SLEEP", b"5"]) is not None  # a legitimate stall, whatever the classes


def test_pattern_arguments_are_the_ones_matched_as_globs():
    assert pattern_arguments([b"KEYS", b"p*"]) == [b"p*"]
    assert pattern_arguments([b"SCAN", b"0", b"match", b"p*", b"COUNT", b"5"]) == [b"p*"]
    assert pattern_arguments([b"CONFIG", b"GET", b"a*", b"b*"]) == [b"a*", b"b*"]
    assert pattern_arguments([b"FUNCTION", b"LOAD", b"*" * 10]) == []
    assert pattern_arguments([b"SET", b"*a*a*a", b"v"]) == []


def test_the_log_oracle_flags_failures_and_nothing_else():
    traceback = (
        b'{"event": "command_failed", "command": "get", "level": "error", "exception": "Traceback\\n'
        b'  File \\"/x/redislite/commands/strings.py\\", line 9, in get\\nKeyError: 1"}'
    )
    assert log_problem(traceback).signature == "command_failed at redislite/commands/strings.py:9: KeyError: 1"
    assert log_problem(b"Traceback (most recent call last):").kind == "unstructured_log"
    assert log_problem(b'{"event": "aof_write_failed", "level": "error"}').kind == "error_log"
    assert log_problem(b'{"event": "x", "level": "warning", "message_text": "internal error"}').kind == "error_log"
    assert log_problem(b'{"event": "client_query_buffer_limit", "level": "warning"}') is None
    assert log_problem(b'{"event": "client_connected", "level": "verbose"}') is None


def test_findings_are_attributed_to_a_known_class_by_tag_and_message():
    encode = Finding(
        "traceback", "command_failed at server.py", "AttributeError: 'bytes' object has no attribute 'encode'"
    )
    tagged = {"debug-object", "http-pubsub", "output-buffer", "reader"}
    assert [name for name in sorted(tagged) if attributed(name, encode, tagged)] == ["debug-object", "reader"]
    assert not attributed("debug-object", encode, set())  # reader: its tracebacks have no one message
    newline = Finding("malformed_reply", "malformed reply", "b\"-ERR Protocol error: expected '$', got '\\n'\"")
    assert attributed("error-newline", newline, set())
    assert not attributed("error-newline", Finding("malformed_reply", "malformed reply", "other"), {"error-newline"})
