#!/usr/bin/env bash
# Install (first run only; no torch) and ask the seed story a question: scripts/ask.sh "What did Paris deny?"
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/storybot ] || bash scripts/install.sh --plain
exec .venv/bin/storybot ask "${@:-What did Paris deny?}"
