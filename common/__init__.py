"""What several apps share, at the bottom of the dependency graph.

Nothing here imports from the project's apps: only the standard library, Django and third-party
packages. Apps import from `common`, never the other way round.
"""
