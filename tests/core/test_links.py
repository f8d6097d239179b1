"""`path_for_each` builds the same paths as `reverse`, one per value, from one reverse."""

import pytest
from django.urls import reverse

from apps.core.links import path_for_each


@pytest.mark.parametrize(
    "reference",
    ["CAP-2026-000001", "BN-0000042", "a b", "ünï", "50%", "q?x#y", "a+b&c=d", "~:@!$'()*,;"],
)
def test_same_path_as_reverse(reference):
    assert path_for_each("approvals:detail")(reference) == reverse(
        "approvals:detail", args=[reference]
    )
