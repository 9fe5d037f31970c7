"""`python -m proxy` is the `gardefou` command."""

import sys

from proxy.cli import main

sys.exit(main())
