#!/usr/bin/env bash
# Idempotent install: Debian packages that are missing, then .venv with stompbox and its test extras.
# A second run with everything present takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(jackd2 jalv lilv-utils liblilv-0-0 lv2-dev libjack-jackd2-dev liblilv-dev libfftw3-single3 gcc make pkg-config swh-lv2 x42-plugins guitarix-lv2 lsp-plugins-lv2
              mda-lv2 calf-plugins chromium coreutils procps)

missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "install: apt-get install ${missing[*]}"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    # jackd2 asks about realtime priority through debconf; answer no, non-interactively.
    echo "jackd2 jackd/tweak_rt_limits boolean false" | $SUDO debconf-set-selections || true
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

PY=${PYTHON:-python3}
stamp=.venv/.stompbox-installed
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
    touch "$stamp"
fi

# the engine's real-time C core (rebuilt only when its sources change)
make -s -C src/stompbox/engine/native
