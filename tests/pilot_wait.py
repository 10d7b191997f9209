"""Waiting for an app's workers in a pilot test."""

from __future__ import annotations

import asyncio

from textual.worker import WorkerCancelled, WorkerState


async def workers_done(app) -> None:
    """Wait until none of the app's workers is pending or running. A worker cancelled
    meanwhile is what an exclusive group does to its older worker when a newer one
    starts (the dashboard's workload as the highlight passes): not a failure. Any other
    end of a worker (an error) is raised, as ``wait_for_complete`` would."""
    while waiting := [worker for worker in app.workers
                      if worker.state in (WorkerState.PENDING, WorkerState.RUNNING)]:
        ended = await asyncio.gather(*(worker.wait() for worker in waiting
                                       if worker.state != WorkerState.PENDING),
                                     return_exceptions=True)
        for end in ended:
            if isinstance(end, BaseException) and not isinstance(end, WorkerCancelled):
                raise end
        if all(worker.state == WorkerState.PENDING for worker in waiting):
            await asyncio.sleep(0)  # not started yet: let the loop start them
