"""Running test work in real threads, each on its own database connection."""

import threading

from django.db import connection


def in_threads(count: int, work) -> list:
    """Run work(i) in `count` threads started together; each uses its own connection."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # reported to the test, not lost in the thread
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
