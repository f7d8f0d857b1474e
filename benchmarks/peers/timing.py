"""Timing shared by the peer scripts: the median of `steps` timed calls after one warm-up call."""
import statistics
import time


def median_seconds(fn, steps):
    fn()   # warm-up
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
