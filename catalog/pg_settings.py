"""PostgreSQL settings for the caller's transaction only."""


def set_local(cursor, values: dict[str, str]) -> None:
    """SET LOCAL each name to its value, in one round trip (they end with the transaction)."""
    cursor.execute(
        "SELECT " + ", ".join("set_config(%s, %s, true)" for _ in values),
        [value for item in values.items() for value in item],
    )
