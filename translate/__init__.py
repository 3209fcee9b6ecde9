"""Machine translation into the six UN languages (Argos Translate); built in the translation issue."""
