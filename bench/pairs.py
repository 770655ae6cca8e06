"""The pairs `bench compare` prints: each measure on the project's side and the stock's,
with its ratio, its goal and whether it is met (issue 15)."""

from __future__ import annotations

import os
from dataclasses import dataclass

IMPORT_ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))


@dataclass
class Pair:
    """One measure on both sides. `faster` is how many times the project beats the stock:
    the stock's time over the project's, or the project's rate over the stock's."""

    name: str
    project: float | None
    stock: float | None
    unit: str
    goal: float | None = None  # the ratio to reach
    absolute: str = ""  # a goal in absolute terms, when the issue also names one
    absolute_met: bool | None = None

    @property
    def rate(self) -> bool:
        return self.unit.endswith("/s")

    @property
    def faster(self) -> float | None:
        if not self.project or not self.stock:
            return None
        return self.project / self.stock if self.rate else self.stock / self.project

    def verdict(self) -> str:
        checks = []
        if self.goal is not None:
            checks.append(self.faster is not None and self.faster >= self.goal)
        if self.absolute_met is not None:
            checks.append(self.absolute_met)
        if not checks:
            return ""
        return "met" if all(checks) else "MISSED"

    def line(self) -> str:
        def shown(value):
            return "—" if value is None else f"{value:,.1f}"

        ratio = "—" if self.faster is None else f"{self.faster:,.1f}×"
        goal = [f"≥ {self.goal:g}×"] if self.goal is not None else []
        goal += [self.absolute] if self.absolute else []
        return (
            f"{self.name:<52} {shown(self.project):>11} {shown(self.stock):>11} "
            f"{self.unit:<7} {ratio:>8}  {', '.join(goal):<24} {self.verdict()}"
        )


def pairs(project: dict, stock: dict) -> list[Pair]:
    common = stock.get("search_common")
    copy_limit = stock.get("copy_limit")
    import_share = project["import"] / copy_limit if copy_limit else None
    return [
        Pair("Users page, 50 rows", project["users_page"], stock.get("users_page"), "ms", 8),
        Pair(
            f"Search 'walker' ({project['search_common_matches']} matches)",
            project["search_common"],
            common,
            "ms",
            20,
        ),
        Pair(
            f"Search 'son' ({project['search_many_matches']} matches)",
            project["search_many"],
            common,
            "ms",
            None,
            "≤ 100 ms",
            project["search_many"] <= 100,
        ),
        Pair(
            f"Search 'scale_user' ({project['search_everyone_matches']} matches)",
            project["search_everyone"],
            common,
            "ms",
            None,
            "≤ 100 ms",
            project["search_everyone"] <= 100,
        ),
        Pair(
            "Exact email",
            project["exact_email"],
            stock.get("exact_email"),
            "ms",
            50,
            "≤ 20 ms",
            project["exact_email"] <= 20,
        ),
        Pair(
            "Exact SIS id",
            project["exact_sis"],
            stock.get("exact_sis"),
            "ms",
            50,
            "≤ 20 ms",
            project["exact_sis"] <= 20,
        ),
        *(
            Pair(
                f"Bulk deactivate 100k, by filter ({run})",
                project[f"bulk_filter_{run}"],
                stock.get("bulk"),
                "users/s",
                10,
            )
            for run in ("fresh", "again", "bloated")
        ),
        Pair("Bulk deactivate 100k, by ids", project["bulk_ids"], stock.get("bulk"), "users/s", 10),
        Pair(
            f"Import {IMPORT_ROWS:,} new people (import_data)",
            project["import"],
            stock.get("import"),
            "rows/s",
            30,
            "≥ 35% of COPY" + (f" (now {import_share:.0%})" if import_share else ""),
            None if import_share is None else import_share >= 0.35,
        ),
        Pair("Archived export, CSV", project["export"], stock.get("export"), "rows/s", 10),
    ]
