"""A job that always fails, to see failures the way an admin does."""


def always_fails(secret_argument: str) -> None:
    raise RuntimeError("supplier file missing")
