"""Admin for works and ownership declarations."""
