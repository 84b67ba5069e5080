#!/usr/bin/env python3
"""Count meson test results in one or more testlog.json files.

Prints one line, "N passed, N failed, N skipped".  Timeouts, unexpected
passes and errors count as failed; expected failures as passed.
"""
import json
import sys


def count(paths):
    passed = failed = skipped = 0
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                lines = f.readlines()
        except OSError:
            failed += 1  # a run that left no log did not pass
            continue
        for line in lines:
            result = json.loads(line).get("result")
            if result in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif result == "SKIP":
                skipped += 1
            else:
                failed += 1
    return passed, failed, skipped


def main():
    passed, failed, skipped = count(sys.argv[1:])
    print(f"{passed} passed, {failed} failed, {skipped} skipped")


if __name__ == "__main__":
    main()
