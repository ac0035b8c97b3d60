"""The viewer scope: which households this person may see, and whether the screen is projected.

Every page, export and write-back takes its households through `scope_workbook`. Until
sign-in exists (issue 7) it lets every household through; projection is recorded here so
pages can pseudonymise and hide free text in one place.
"""
from __future__ import annotations

from dataclasses import dataclass

from lib.validate import Workbook


@dataclass(frozen=True)
class Viewer:
    """Who is looking and how: projected on a wall, or at a desk."""

    projection: bool = False
    user: str | None = None


def scope_workbook(workbook: Workbook, viewer: Viewer) -> Workbook:
    """The part of the workbook this viewer may see (everything, until sign-in exists)."""
    return workbook
