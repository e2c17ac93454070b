"""The status rules when a source record is decided again, as a table."""

import pytest

from catalog.lifecycle import Transition, after_decision

CASES = [
    # decision, current status, current reason, previous decision, file changed -> result
    ("accepted", None, "", None, False, ("candidate", "", True)),
    ("embargoed", None, "", None, False, ("embargoed", "", False)),
    ("license_restricted", None, "", None, False, ("rejected", "license_restricted", False)),
    ("accepted", "published", "", "accepted", False, ("published", "", False)),
    ("accepted", "published", "", "accepted", True, ("candidate", "", True)),
    ("accepted", "rejected", "duplicate", "accepted", False, ("rejected", "duplicate", False)),
    ("accepted", "rejected", "corrupt_image", "accepted", False,
     ("rejected", "corrupt_image", False)),
    ("accepted", "rejected", "license_unknown", "license_unknown", False,
     ("candidate", "", True)),
    ("accepted", "embargoed", "", "embargoed", False, ("candidate", "", False)),
    ("license_restricted", "published", "", "accepted", False,
     ("rejected", "license_restricted", False)),
    ("commons_deletion_request", "embargoed", "", "embargoed", False,
     ("rejected", "commons_deletion_request", False)),
    ("accepted", "taken_down", "", "accepted", True, ("taken_down", "", False)),
    ("license_unknown", "withdrawn", "", "accepted", False, ("withdrawn", "", False)),
]  # fmt: skip


@pytest.mark.parametrize(("decision", "status", "reason", "previous", "changed", "expected"), CASES)
def test_after_decision(decision, status, reason, previous, changed, expected):
    assert after_decision(
        decision=decision, current_status=status, current_reason=reason,
        previous_decision=previous, file_changed=changed,
    ) == Transition(*expected)  # fmt: skip
