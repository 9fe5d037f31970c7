"""`python -m proxy` is the `gardefou` command."""

import sys

from proxy.cli import main

if __name__ == "__main__":  # NER worker processes (spawn) import this module without running it
    sys.exit(main())
