"""Departments: create and edit key, name, head and members."""

from apps.people.models import Department


def test_list_shows_head_and_member_count(world, as_alice):
    page = as_alice.get("/admin/people/departments/")
    row = next(d for d in page.context["departments"] if d.key == "icu")
    assert row.member_count == 2
    assert "Bob Approver" in page.content.decode()


def test_create_department_with_head_and_members(world, as_alice, in_a):
    response = as_alice.post(
        "/admin/people/departments/new/",
        {
            "key": "oncology",
            "name": "Oncology",
            "head": world.carol.pk,
            "members": [world.bob.pk, world.carol.pk],
        },
    )
    assert response.status_code == 302
    with in_a():
        department = Department.objects.get(key="oncology")
        assert department.head == world.carol
        assert set(department.members.values_list("email", flat=True)) == {
            "bob@alpha.test",
            "carol@alpha.test",
        }


def test_bad_or_taken_key_is_a_field_error_and_keeps_the_input(world, as_alice):
    response = as_alice.post(
        "/admin/people/departments/new/", {"key": "On Cology", "name": "Oncology"}
    )
    assert list(response.context["form"].errors) == ["key"]
    assert 'value="On Cology"' in response.content.decode()
    response = as_alice.post("/admin/people/departments/new/", {"key": "icu", "name": "Other"})
    assert response.context["form"].errors["key"] == ["A department with this key already exists."]


def test_edit_changes_head_and_members_but_not_key(world, as_alice, in_a):
    page = as_alice.get(f"/admin/people/departments/{world.department.pk}/")
    assert "key" not in page.context["form"].fields
    as_alice.post(
        f"/admin/people/departments/{world.department.pk}/",
        {"name": "ICU", "head": "", "members": [world.carol.pk], "key": "hacked"},
    )
    with in_a():
        world.department.refresh_from_db()
        assert (world.department.key, world.department.name) == ("icu", "ICU")
        assert world.department.head is None
        assert list(world.department.members.all()) == [world.carol]
