"""The server's one line of training runs (ui.live.Line): bounded, first come first served, and a run that gives up
or fails frees its place. Fast functional checks; the crowd itself is measured in bench/crowd.py."""
import threading
import time

import pytest

from ui.live import LINE, Line


def started(line: Line, log: list, name: str, hold: threading.Event, waits: list | None = None) -> threading.Thread:
    """A thread that takes a turn on line, logs when it starts, and holds its slot until `hold` is set."""
    def body():
        with line.turn(lambda ahead: (waits if waits is not None else []).append((name, ahead)), poll_s=0.01):
            log.append(name)
            hold.wait(5)
    th = threading.Thread(target=body, daemon=True)
    th.start()
    return th


def until(cond, timeout_s: float = 5) -> None:
    deadline = time.monotonic() + timeout_s
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_a_second_run_waits_is_told_then_completes():
    line, log, waits = Line(1), [], []
    first, second = threading.Event(), threading.Event()
    a = started(line, log, "a", first)
    until(lambda: log == ["a"])
    b = started(line, log, "b", second, waits)
    until(lambda: waits)
    assert log == ["a"] and waits == [("b", 1)]  # b waits, told one run is ahead of it
    first.set()
    until(lambda: log == ["a", "b"])
    second.set()
    a.join(5), b.join(5)
    assert line.running == 0


def test_first_come_first_served():
    line, log, hold = Line(1), [], threading.Event()
    threads = [started(line, log, "a", hold)]
    until(lambda: log == ["a"])
    for name in "bcd":  # arrive one after another while a trains
        threads.append(started(line, log, name, hold))
        until(lambda: len(line._waiting) == len(threads) - 1)
    hold.set()
    for th in threads:
        th.join(5)
    assert log == ["a", "b", "c", "d"]


def test_a_run_that_gives_up_leaves_the_line_and_the_next_one_moves_up():
    line, log, hold, waits = Line(1), [], threading.Event(), []
    a = started(line, log, "a", hold)
    until(lambda: log == ["a"])

    class Stale(Exception):
        pass

    def stale_waiter():  # like a session whose visitor moved the slider again: Streamlit raises in its thread
        def waiting(ahead):
            raise Stale
        with pytest.raises(Stale):
            with line.turn(waiting, poll_s=0.01):
                log.append("never")
    stale_waiter()
    assert len(line._waiting) == 0 and line.running == 1
    c = started(line, log, "c", hold, waits)
    until(lambda: waits)
    assert waits == [("c", 1)]  # only a is ahead: the stale run is gone
    hold.set()
    a.join(5), c.join(5)
    assert log == ["a", "c"] and line.running == 0


def test_a_run_that_fails_frees_its_slot():
    line = Line(1)
    with pytest.raises(ZeroDivisionError):
        with line.turn():
            1 / 0
    assert line.running == 0
    with line.turn():  # the next run starts at once
        assert line.running == 1


def test_slots_run_side_by_side():
    line, log, hold = Line(2), [], threading.Event()
    threads = [started(line, log, n, hold) for n in "ab"]
    until(lambda: sorted(log) == ["a", "b"])  # two slots: neither waits
    third = started(line, log, "c", hold)
    time.sleep(0.05)
    assert "c" not in log
    hold.set()
    for th in (*threads, third):
        th.join(5)
    assert sorted(log) == ["a", "b", "c"]


def test_the_server_line_has_a_slot_per_usable_core():
    assert LINE.slots >= 1 and LINE.running == 0
