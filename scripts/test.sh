#!/usr/bin/env bash
# Install (if needed) and run the whole test suite on two worker processes (pytest-xdist; the Milvus
# server tests share one). Extra arguments go to pytest; `-n 0` runs it in one process.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/python -m pytest -n 2 --dist loadgroup "$@"
