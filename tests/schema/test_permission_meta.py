"""Every root field of the built schema must say who may use it.

Walks the schema as strawberry built it: a Query, Mutation or Subscription field without a permission
class is reachable by anyone (anonymous callers included), so the suite fails on it.
"""

from __future__ import annotations

import strawberry
from strawberry.permission import BasePermission, PermissionExtension

from schema.permissions import Authenticated, Public
from schema.schema import build_schema
from services.access import Action

ROOTS = ("Query", "Mutation", "Subscription")


def permissions_of(field) -> list[type[BasePermission]]:
    """The permission classes that strawberry actually enforces on `field` (those of its
    PermissionExtensions), plus any declared in `permission_classes`."""
    found: list[type[BasePermission]] = list(field.permission_classes or [])
    for extension in field.extensions or []:
        if isinstance(extension, PermissionExtension):
            found.extend(type(p) if not isinstance(p, type) else p for p in extension.permissions)
    return list(dict.fromkeys(found))


def enforcing_extensions(field) -> list[PermissionExtension]:
    return [e for e in field.extensions or [] if isinstance(e, PermissionExtension)]


def root_fields(schema: strawberry.Schema) -> dict[str, list]:
    out = {}
    for root in ROOTS:
        definition = schema.get_type_by_name(root)
        if definition is not None:
            out[root] = list(definition.fields)
    return out


def unprotected(schema: strawberry.Schema) -> list[str]:
    """`Root.field` for every root field with no enforced permission (the check this module is about)."""
    missing = []
    for root, fields in root_fields(schema).items():
        for field in fields:
            name = schema.config.name_converter.get_graphql_name(field)
            if not permissions_of(field) or not enforcing_extensions(field):
                missing.append(f"{root}.{name}")
    return missing


def test_the_walk_inspects_the_real_schema():
    schema = build_schema()
    fields = root_fields(schema)
    assert len(fields["Mutation"]) > 10
    assert len(fields["Query"]) >= 5
    # The strawberry definitions cover every field graphql-core serves (nothing bypasses them).
    gql = schema._schema
    for root, gql_type in (
        ("Query", gql.query_type),
        ("Mutation", gql.mutation_type),
        ("Subscription", gql.subscription_type),
    ):
        if gql_type is None:
            continue
        names = {schema.config.name_converter.get_graphql_name(f) for f in fields[root]}
        assert names == set(gql_type.fields), root


def test_every_root_field_has_a_permission_class():
    assert unprotected(build_schema()) == []


def test_the_production_schema_is_protected_too():
    assert unprotected(build_schema(production=True)) == []


def test_only_login_is_public():
    schema = build_schema()
    public = [
        f"{root}.{schema.config.name_converter.get_graphql_name(f)}"
        for root, fields in root_fields(schema).items()
        for f in fields
        if Public in permissions_of(f)
    ]
    assert public == ["Mutation.login"]
    login = next(f for f in root_fields(schema)["Mutation"] if f.python_name == "login")
    assert permissions_of(login) == [Public]


def test_permission_failures_are_errors_not_silent_nulls():
    """A refused field must report FORBIDDEN/UNAUTHENTICATED, never quietly return null."""
    schema = build_schema()
    for root, fields in root_fields(schema).items():
        for field in fields:
            for extension in enforcing_extensions(field):
                assert not extension.fail_silently, f"{root}.{field.python_name}"


def test_every_mutation_needs_more_than_being_signed_in():
    """Mutations are writes: each must name an action of the matrix (`Allowed(...)`), except login."""
    schema = build_schema()
    for field in root_fields(schema)["Mutation"]:
        if field.python_name == "login":
            continue
        classes = permissions_of(field)
        assert classes, field.python_name
        for cls in classes:
            assert cls is not Authenticated and cls is not Public, field.python_name
            assert isinstance(getattr(cls, "action", None), Action), field.python_name


def test_contact_details_are_guarded_wherever_they_appear():
    """Every `phone`/`email` output field of any object type needs the contact-details permission."""
    schema = build_schema()
    seen = []
    for type_name in schema._schema.type_map:
        if type_name.startswith("__"):
            continue
        definition = schema.get_type_by_name(type_name)
        fields = getattr(definition, "fields", None)
        if fields is None or getattr(definition, "is_input", False):
            continue
        for field in fields:
            name = schema.config.name_converter.get_graphql_name(field)
            if name in ("phone", "email"):
                seen.append(f"{type_name}.{name}")
                actions = [getattr(c, "action", None) for c in permissions_of(field)]
                assert Action.READ_CONTACT_DETAILS in actions, f"{type_name}.{name} is not guarded"
    assert {"Contact.phone", "Contact.email", "User.email"} <= set(seen)


def test_the_checker_does_catch_an_unprotected_field():
    """The check above can fail: a schema with one unguarded field and one guarded field."""

    @strawberry.type
    class Query:
        guarded: int = strawberry.field(resolver=lambda: 1, permission_classes=[Authenticated])
        open_door: int = strawberry.field(resolver=lambda: 2)

    @strawberry.type
    class Mutation:
        @strawberry.mutation
        def do_it(self) -> int:
            return 3

    assert unprotected(strawberry.Schema(query=Query, mutation=Mutation)) == ["Query.openDoor", "Mutation.doIt"]
