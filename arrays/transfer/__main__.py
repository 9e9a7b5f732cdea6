"""``python -m arrays.transfer``: the main job (`power.main_job`)."""
import sys

from power.main_job import main

sys.exit(main())
