"""Garde-fou: a local-first guardrail proxy for generative AI in French local authorities."""

import os

# The NER multiplies small matrices: one BLAS thread per process is fastest, and OpenBLAS's extra
# threads busy-wait between calls, burning the CPU other requests need. Must be set before numpy
# loads, hence here, at the package's first import; an explicit setting is respected.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
