"""Rich progress bars for an eval run: one for ingestion, one for the cases."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from evals.metrics import CaseResult


class RichProgress:
    """Draws the runner's progress (see evals.runner.Progress) on a console, usually stderr."""

    def __init__(self, console: Console | None = None) -> None:
        self._bar = Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console or Console(stderr=True),
        )
        self._ingest: TaskID | None = None
        self._cases: TaskID | None = None
        self._failed = 0

    def __enter__(self) -> RichProgress:
        self._bar.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._bar.stop()

    def ingest(self, done: float, total: int, description: str) -> None:
        """Show ingestion progress over the suite's sources."""
        if self._ingest is None:
            self._ingest = self._bar.add_task("ingesting", total=total)
        self._bar.update(self._ingest, completed=done, total=total, description=description)

    def cases_started(self, total: int) -> None:
        """Start the cases bar."""
        if self._ingest is not None:
            task = self._bar.tasks[self._ingest]
            self._bar.update(self._ingest, completed=task.total, description="ingested")
        self._cases = self._bar.add_task("cases", total=total)

    def case_done(self, result: CaseResult) -> None:
        """Advance the cases bar; count failures in its label."""
        if self._cases is None:
            return
        self._failed += not result.passed
        label = f"cases ({self._failed} failed)" if self._failed else "cases"
        self._bar.update(self._cases, advance=1, description=label)
