"""The register of uses: append-only, hash-chained, signed checkpoints, no personal data."""
