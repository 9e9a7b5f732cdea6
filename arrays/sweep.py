"""``python -m arrays.sweep``: Monte Carlo and parameter sweeps of the whole flow (`power.sweep`)."""
import sys

from power.sweep import main

if __name__ == "__main__":
    sys.exit(main())
