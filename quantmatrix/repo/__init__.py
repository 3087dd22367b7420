"""Reading the desired state: files, YAML with positions, layering, cross-file checks."""
