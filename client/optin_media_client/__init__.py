"""Command-line client for buyers of the opt-in media marketplace."""

__version__ = "0.1.0"
