"""Found by a tester: /payroll/inputs/ had duplicate id attributes (the adjustment and attendance forms both wrote
id_employee), so a label could point at the other form's box."""

from collections import Counter
from html.parser import HTMLParser

import pytest
from django.urls import reverse


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = Counter()
        self.label_targets = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids[attrs["id"]] += 1
        if tag == "label" and attrs.get("for"):
            self.label_targets.append(attrs["for"])


@pytest.mark.parametrize("who", ["manager", "finance"])
def test_the_inputs_page_has_unique_ids_and_labels_point_at_them(request, client_as, who):
    response = client_as(request.getfixturevalue(who)).get(reverse("payroll:inputs", args=["2026-03"]))
    assert response.status_code == 200
    parser = _Ids()
    parser.feed(response.content.decode())
    duplicates = {key: n for key, n in parser.ids.items() if n > 1}
    assert not duplicates
    assert parser.label_targets and all(target in parser.ids for target in parser.label_targets)
    assert "id_attendance_employee" in parser.ids
    if who == "manager":  # the manager sees both forms that ask for an employee
        assert "id_adjustment_employee" in parser.ids
