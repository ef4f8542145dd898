"""Reading and validating manifests: YAML in, desired jobs or file:line:col diagnostics out."""
