"""What every app shares: domain errors, money, absolute links and admin helpers. It
imports no app of the project, so any app may use it (enforced in `make lint`)."""
