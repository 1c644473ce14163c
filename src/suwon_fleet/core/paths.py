"""Where the project's data (config/, maps/) lives.

From a checkout (venv, tests) the data sits beside the sources; after a colcon install it is
in share/suwon_fleet. SUWON_FLEET_DATA overrides both, e.g. for a site's own config on a robot.
"""

from __future__ import annotations

import os
from pathlib import Path

_CHECKOUT_ROOT = Path(__file__).resolve().parents[3]


def data_root() -> Path:
    override = os.environ.get("SUWON_FLEET_DATA")
    if override:
        return Path(override)
    if (_CHECKOUT_ROOT / "config" / "fleet.yaml").is_file():
        return _CHECKOUT_ROOT
    try:
        from ament_index_python.packages import get_package_share_directory

        return Path(get_package_share_directory("suwon_fleet"))
    except (ImportError, LookupError):
        return _CHECKOUT_ROOT


def config_dir() -> Path:
    return data_root() / "config"


def maps_dir() -> Path:
    return data_root() / "maps"


def fleet_config_path() -> Path:
    return config_dir() / "fleet.yaml"
