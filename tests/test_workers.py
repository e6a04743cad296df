"""pavas_core.workers: worker processes start fresh ("spawn"), never as forks of a threaded process."""

from pavas_core.workers import worker_pool


def test_the_worker_pool_spawns_fresh_interpreters_that_run_jobs():
    with worker_pool(1) as pool:
        # ProcessPoolExecutor keeps its context there (3.7 on); a fork would inherit the parent's
        # locks, held by its other threads, and could wait on them forever
        assert pool._mp_context.get_start_method() == "spawn"
        assert pool.submit(sorted, [3, 1, 2]).result(timeout=120) == [1, 2, 3]
