"""Errors that tell the user which file and which field is wrong."""

from __future__ import annotations

from pathlib import Path


class ConfigError(ValueError):
    """A config, site or map file is missing or malformed.

    The message always starts with the file, then the field, so start-up failures read like
    ``config/sites/city_hall.yaml: places.entrance.x: Input should be a valid number``.
    """

    def __init__(self, path: Path | str, field: str, problem: str) -> None:
        self.path = Path(path)
        self.field = field
        self.problem = problem
        where = f"{self.path}: {field}: " if field else f"{self.path}: "
        super().__init__(where + problem)
