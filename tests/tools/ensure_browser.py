"""Install Debian's Chromium for the report's browser test when it is missing.

Run by tox before the tests. Needs root and the Debian package registry; when either is
missing it says so and the browser test skips with that reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys


def main() -> int:
    if shutil.which("chromium") or shutil.which("chromium-browser"):
        print("ensure_browser: chromium present")
        return 0
    if not sys.platform.startswith("linux") or os.geteuid() != 0 or not shutil.which("apt-get"):
        print("ensure_browser: chromium missing and cannot apt-get install it here; browser test will skip")
        return 0
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"ensure_browser: {' '.join(cmd)} failed: {proc.stderr.strip()[-300:]}")
            return 0
    print("ensure_browser: chromium installed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
