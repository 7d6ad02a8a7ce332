from collections import Counter

COVERAGE: Counter = Counter()
ERROR_REPLIES: Counter = Counter()


def pytest_terminal_summary(terminalreporter):
    if not COVERAGE:
        return
    terminalreporter.section("differential command coverage")
    total = sum(COVERAGE.values())
    errors = sum(ERROR_REPLIES.values())
    terminalreporter.write_line(f"{total} commands compared ({errors} with error replies), "
                                f"{len(COVERAGE)} command names")
    for name, count in sorted(COVERAGE.items(), key=lambda item: (-item[1], item[0])):
        terminalreporter.write_line(f"  {name:<14} {count:>6}   errors {ERROR_REPLIES[name]:>5}")
