"""Data: the spec tables' schema, loading and cache (devices, systems, clusters, runs, sources)."""
