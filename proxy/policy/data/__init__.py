"""Data of the policy: the named vocabularies, the forbidden-use model's weights, and the script
that trains the model."""
