"""Transforms of the request's texts: pseudonymise or mask findings, restore placeholders in answers."""
