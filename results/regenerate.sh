#!/usr/bin/env bash
# Regenerate the committed reference results (everything that runs without downloads).
# Usage: bash results/regenerate.sh [TIMBRE_DIR]   (default ../shared/data/timbre)
# Heavy intermediate files (HDF5 weights/coordinates, interactive HTML, report.html) are written
# but not committed (see .gitignore); JSON, CSV, PNG and report.md are.
# Time on the 2-core CPU machine: about 2 h: the logmel sweep at 4096 dims (~50 min), CREPE's
# timbre with LOSO and sweep at 2048 dims (~20 min) and its 300-trial ranking (~50 min).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:-../shared/data/timbre}"
for model in stft logmel; do
  hear-probes evaluate --model "$model" --probes ranking,gear,timbre --data "$DATA" --out "results/$model" --quiet
done
# robustness sweeps (17 studies x 9 levels x 5 draws): stft is the reference of the dB table
hear-probes probe timbre --model stft --robustness --data "$DATA" --out results/stft --quiet
hear-probes probe timbre --model logmel --robustness --no-loso --reference results/stft --data "$DATA" --out results/logmel --quiet
hear-probes probe ranking --distance all --trials 1000 --seed 0 --out results/distances --quiet
# crepe (real PyPI weights): GEAR and timbre (+ robustness against stft); ranking on 300 trials
# of 0.5-s stimuli (the full 1000-trial, 1-s table through full CREPE takes hours on 2 cores)
# crepe = the HEAR 2021 baseline (hearbaseline.torchcrepe); results/crepe-classifier-input holds
# the earlier classifier-input variant (not regenerated here: about 1 h more on this machine)
hear-probes evaluate --model crepe --probes gear,timbre --robustness --reference results/stft --data "$DATA" --out results/crepe --quiet
hear-probes probe ranking --model crepe --trials 300 --duration 1.0 --curve-points 60 --heatmap-cells 16 --out results/crepe --quiet
hear-probes report results/stft results/logmel results/crepe results/crepe-classifier-input results/distances -o results/report.html
# per-layer curves (docs/layers.md): CREPE's six conv blocks, all probes for crepe-tiny
# (about 1 h on 2 cores); results/crepe-tiny-layers/report.md holds the layer table
hear-probes evaluate --model crepe-tiny --layers all --probes gear,ranking,timbre --data "$DATA" --out results/crepe-tiny-layers --quiet
# CREPE full by layer: GEAR and 300-trial ranking (about 45 min on 2 cores)
hear-probes probe gear --model crepe --layers all --out results/crepe-layers --quiet
hear-probes probe ranking --model crepe --layers all --trials 300 --no-figures --out results/crepe-layers --quiet
