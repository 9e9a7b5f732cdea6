"""Test options: slow tests run only with --slow (the README's test command passes it); tests marked
``ngspice`` skip, with the reason, where neither the ngspice shared library nor its binary is found.

The whole session (each pytest-xdist worker, with ``-n``) shares one fresh cache folder
(``$RRAM_COSIM_CACHE``): every network and every transfer is computed at least once per session, never
taken from a user's cache, and a transfer that several tests need (the main job's, the SNN tests') is
simulated once.
"""
import os
import shutil
import tempfile
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def pytest_configure(config):
    config._rram_cache = tempfile.mkdtemp(prefix="rram-cosim-test-cache-")
    os.environ["RRAM_COSIM_CACHE"] = config._rram_cache


def pytest_unconfigure(config):
    shutil.rmtree(getattr(config, "_rram_cache", ""), ignore_errors=True)


def pytest_addoption(parser):
    parser.addoption("--slow", action="store_true", default=False, help="also run the tests marked slow")


def pytest_collection_modifyitems(config, items):
    if any("ngspice" in item.keywords for item in items):
        from compact_models import simulator

        if not simulator.available_backends():
            skip = pytest.mark.skip(reason=f"needs ngspice, which is not found: {simulator.INSTALL_HINT}")
            for item in items:
                if "ngspice" in item.keywords:
                    item.add_marker(skip)
    if config.getoption("--slow") or os.environ.get("RRAM_SLOW_TESTS") == "1":
        # The long tests first, so the xdist workers start them early and the short ones fill in at the end.
        items.sort(key=lambda item: "slow" not in item.keywords)
        return
    skip = pytest.mark.skip(reason="slow: run with --slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def mnist_dir():
    d = SHARED / "data" / "mnist"
    return d if (d / "t10k-images-idx3-ubyte.gz").exists() else None
