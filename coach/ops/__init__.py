"""Operating the app: health checks."""
