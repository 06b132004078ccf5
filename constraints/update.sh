#!/usr/bin/env bash
# Re-resolve the pinned test environments from scratch and rewrite constraints/<env>.txt.
# Runs the whole tox matrix once with empty constraints (a fresh resolve, as on a new machine),
# then writes `pip freeze --all` of each env. Review the diff before committing it.
set -euo pipefail
cd "$(dirname "$0")/.."
envs=(lint minimal notorch tests torch tf)
backup=$(mktemp -d)
for e in "${envs[@]}"; do cp "constraints/$e.txt" "$backup/"; : > "constraints/$e.txt"; done
restore() { for e in "${envs[@]}"; do [ -s "constraints/$e.txt" ] || cp "$backup/$e.txt" constraints/; done; }
trap restore ERR INT
python3 -m tox -r
for e in "${envs[@]}"; do
  {
    echo "# Pinned versions of the tox env '$e' (pip constraints: tox sets PIP_CONSTRAINT to this file)."
    echo "# A fresh resolve on $(date -u +%F), Python $(.tox/$e/bin/python -c 'import platform; print(platform.python_version())'), $(uname -s) $(uname -m): pip freeze --all of a new"
    echo "# 'tox -r' env. Update with constraints/update.sh (see constraints/README.md)."
    # the project itself and pip are not pinned; setuptools only where the env asks for it (tf)
    ".tox/$e/bin/python" -m pip freeze --all | grep -v -i -E "^hear.probes @|^-e |^pip==" \
      | { if [ "$e" = tf ]; then cat; else grep -v "^setuptools=="; fi; } \
      | sed -E 's/^(torch[a-z_-]*==[^+]+)\+[A-Za-z0-9.]+$/\1/'  # no local label (+cpu): any CPU wheel matches
  } > "constraints/$e.txt"
done
git --no-pager diff --stat constraints/
