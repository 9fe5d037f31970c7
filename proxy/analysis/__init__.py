"""Detection of French personal data: the Presidio/spaCy engine, French recognizers and findings."""
