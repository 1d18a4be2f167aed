"""Feed problems that name the file, row and column, so a broken GTFS zip is fixable.

A `FeedError` means the feed cannot be used at all (a required file is missing,
text is not UTF-8, an id is defined twice); a `FeedWarning` means one row was
skipped and the rest of the feed is still compiled. Rows count like a text
editor: the header is row 1, the first record row 2.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class FeedProblem:
    """Where a problem is: feed file, 1-based row (None: whole file), column (None: whole row)."""

    feed: str
    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
        if self.column is not None:
            where += f" column {self.column}"
        return f"{self.feed}: {where}: {self.message}"

    def to_dict(self) -> dict:
        return asdict(self)


class FeedWarning(FeedProblem):
    """A row that was skipped; the rest of the feed is usable."""


class FeedError(Exception):
    """The feed cannot be compiled; `problem` says where and why."""

    def __init__(self, feed: str, file: str, row: int | None, column: str | None, message: str):
        self.problem = FeedProblem(feed, file, row, column, message)
        self.feed, self.file, self.row, self.column = feed, file, row, column
        super().__init__(str(self.problem))
