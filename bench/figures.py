"""One figure of the benchmark table, and how a benchmark module hands its figures over.

Every benchmark module that takes part in ``python -m bench`` defines

    def figures(quick: bool) -> list[Figure]

which runs the benchmark (small sizes when ``quick``) and returns what it measured, each
figure next to the floor it is compared with in the same run. ``python -m bench`` runs each
module in a process of its own (``python -m bench.figures MODULE [--quick]``, which prints the
figures as JSON lines) so that one benchmark's imports, caches and memory never colour the next.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Figure:
    """A measured value, its floor measured in the same run, and the issue's target."""

    name: str  # what was measured, e.g. "click in process, SQLite, median"
    value: float  # in `unit`
    unit: str  # "ms", "s", "MB", "msg/s", "updates/s"...
    floor: float | None = None  # the same measure of the bare framework, same run, same unit
    floor_name: str = ""  # what the floor is, e.g. "bare aiogram-dialog window switch"
    target: str = ""  # the goal in words, e.g. "≤ 3x floor" or "< 0.1 s"
    met: bool | None = None  # None when there is no target

    @property
    def ratio(self) -> float | None:
        if self.floor is None or self.floor == 0:
            return None
        return self.value / self.floor

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str) -> Figure:
        return cls(**json.loads(line))


def at_most_times(value: float, floor: float, times: float) -> bool:
    return value <= floor * times


MARK = "FIGURE "  # prefix of the lines `python -m bench` reads; anything else is progress


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    quick = "--quick" in args
    names = [a for a in args if not a.startswith("--")]
    if len(names) != 1:
        raise SystemExit("usage: python -m bench.figures MODULE [--quick]")
    module = importlib.import_module(f"bench.{names[0]}")
    produce: Callable[[bool], list[Figure]] = module.figures
    for figure in produce(quick):
        print(MARK + figure.to_json(), flush=True)


if __name__ == "__main__":
    main()
