#!/usr/bin/env bash
# Create .venv (if missing) and install storybot. Safe to run again.
#   scripts/install.sh          with the test tools and the torch extra: what CI and the tests need
#                               (export, training and ONNX-versus-torch tests use torch)
#   scripts/install.sh --plain  storybot alone: it embeds and reads through the shipped ONNX exports, no torch
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "storybot needs Python 3.11 or newer; set PYTHON=/path/to/python3.11" >&2
    exit 1
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
PIP=(.venv/bin/python -m pip --disable-pip-version-check -q)
"${PIP[@]}" install --upgrade pip
if [ "${1:-}" = "--plain" ]; then
    "${PIP[@]}" install -e .
    exit 0
fi
# Pin torch first: the torch extra's bare `torch` requirement would otherwise pull a multi-GB CUDA build.
"${PIP[@]}" install "torch==2.13.0"
"${PIP[@]}" install -e ".[test,torch]"
