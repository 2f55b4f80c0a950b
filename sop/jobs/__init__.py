"""RQ job functions: thin, they load what they need and call services."""
