"""Helper modules beside this file (tests/ has no __init__.py) are imported by name, e.g. `tolerances`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
