import sys

from qtime.cli import main

sys.exit(main())
