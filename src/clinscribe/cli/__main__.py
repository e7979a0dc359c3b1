"""`python -m clinscribe.cli`: the same command line as the `clinscribe` script."""

import sys

from clinscribe.cli import main

sys.exit(main())
