#!/usr/bin/env bash
# Install what is missing for rram-cosim: ngspice and its shared library (Debian packages),
# then a virtual environment in .venv with the package and its test dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

have_lib() { ldconfig -p 2>/dev/null | grep -q 'libngspice\.so' || ls /usr/lib/*/libngspice.so* /usr/lib/libngspice.so* >/dev/null 2>&1; }
missing=()
command -v ngspice >/dev/null 2>&1 || missing+=(ngspice)
have_lib || missing+=(libngspice0)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)

if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
      if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "error: ${missing[*]} missing and you are not root and have no sudo: ask an administrator to run 'apt-get install ${missing[*]}'" >&2
        exit 1
      fi
    fi
    echo "setup: installing ${missing[*]} with apt-get" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
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
