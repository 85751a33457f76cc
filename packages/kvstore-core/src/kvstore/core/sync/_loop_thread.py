"""LoopThread: an event loop running in a daemon thread of its own."""

from __future__ import annotations

import asyncio
import contextlib
import threading


class LoopThread:
    """An event loop that runs forever in a daemon thread until stopped.

    Coroutines reach it through ``asyncio.run_coroutine_threadsafe(coro, thread.loop)``
    from any other thread, and run on it concurrently.

    Args:
        name: the thread's name, as debuggers and ``threading.enumerate()`` show it.
    """

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            # What asyncio.run does on the way out: calls still running are cancelled,
            # async generators and the default executor are shut down, then the loop closes.
            tasks = asyncio.all_tasks(self.loop)
            for task in tasks:
                task.cancel()
            self.loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.run_until_complete(self.loop.shutdown_default_executor())
            asyncio.set_event_loop(None)
            self.loop.close()

    def stop_soon(self) -> None:
        """Ask the loop to stop and close, without waiting; safe from any thread, even its own."""
        with contextlib.suppress(RuntimeError):  # already stopped and closed
            self.loop.call_soon_threadsafe(self.loop.stop)

    def stop(self) -> None:
        """Stop the loop, cancelling what still runs on it, and wait for the thread to end."""
        self.stop_soon()
        self._thread.join()
