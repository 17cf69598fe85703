"""Walk a validated query operation and build its ONE statement (SQLAlchemy Core, compiled once).

The statement is `SELECT '{"<root key>":' || <root value> || …`: the JSON is written as text
(sql.json_object / json_array, see sql.py for why not json_build_object), every root field a scalar
subquery in the same statement, so all of them (and `eventCursor`) read one snapshot. A list is a CTE
page (keyset, `first + 1` rows, as db/repositories/pagination.py) aggregated in page order; a node's
to-one relations are LEFT JOINs of the page (`joined`), elsewhere a relation is a correlated scalar
subquery building its object (the shape PostGraphile v4 generates; v5 and Hasura use LATERAL joins),
a to-many relation the same aggregated in the repository's order. `node(id:)` is a CASE over the
mapped Node types whose selection compiles, the id binding the type's name and the uuid (nodes.py).

The plan is built from one request's variables but holds only bind parameters for them (the rules'
constants are literals, sql.inline_constants): `bindings` turn the next request's variables into
parameter values, and refuse (the reference runs) when those variables would need another statement
(another filter shape) or an error (`first` out of range, bad cursor).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLIncludeDirective,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    OperationDefinitionNode,
    get_named_type,
    is_abstract_type,
    is_non_null_type,
)
from graphql.execution.values import get_directive_values
from sqlalchemy import String, Text, Uuid, case, cast, func, select
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect

from db.models import Event
from schema.compiled import sql
from schema.compiled.lists import ROOTS
from schema.compiled.mapping import FIELDS, NODE_TYPES, TABLES, Scalar, Special, ToMany, ToOne
from schema.compiled.nodes import NodeRoot
from schema.compiled.roots import RootList
from schema.compiled.specials import Specials
from services.access import Action

_DIALECT = asyncpg_dialect()
_MAX_PAIRS = 50  # fields of one object that compile (json_build_object's old limit; wider: the reference)
_UNBOUND: Any = object()


class NotCompilable(Exception):
    """The operation (or these variables) needs the reference executor."""


class RefusedArguments(NotCompilable):
    """These argument values are answered with an error (`first: 101`, a bad cursor): not the plan's
    fault, so it is not remembered as "does not compile" for the variables' shape."""


@dataclass
class Plan:
    sql: str
    order: list[str]  # bind parameter names, in the order of $1, $2, …
    fixed: dict[str, Any]  # constants of the statement (enum values, ratios of services/sla.py)
    roots: list[RootList | NodeRoot]
    costs: dict[tuple[Any, ...], int] = field(default_factory=dict)
    guarded: dict[str, str] = field(default_factory=dict)  # `sql` behind a credential check, per kind
    # For a statement that times out (executor.py TimedOut): the lists and nodes it reads, as (response
    # key, field node, non-null), the keys of `eventCursor` (cheap: the reference answers it) and of
    # `__typename` at the root.
    reads: list[tuple[str, FieldNode, bool]] = field(default_factory=list)
    cursors: list[tuple[str, FieldNode]] = field(default_factory=list)
    typenames: list[str] = field(default_factory=list)

    # Without variables the roots' arguments are the document's literals, the same every request:
    # bound once (graphql-core's argument coercion and the cursor/id decoding are per-request work).
    literal: Any = field(default=_UNBOUND, repr=False)  # the bound values, or None (the reference answers)
    literal_firsts: tuple[Any, ...] | None = field(default=None, repr=False)

    def _bind(self, variables: Any) -> dict[str, Any] | None:
        values: dict[str, Any] = {}
        for root in self.roots:
            bound = root.bind(variables)
            if bound is None:
                return None
            values.update(bound)
        return values

    def parameters(self, variables: Any, now: Any, user: Any = None) -> list[Any] | None:
        """The statement's parameters; None: the reference answers (other values' shape, an error, or a
        list of the caller's own asked by a caller who is no person)."""
        if user is None and sql.USER in self.order:
            return None
        if variables:
            bound = self._bind(variables)
        else:
            if self.literal is _UNBOUND:
                self.literal = self._bind(variables)
            bound = self.literal
        if bound is None:
            return None
        fixed = self.fixed
        special = {sql.NOW: now, sql.USER: user}
        return [
            special[name] if name in special else bound[name] if name in bound else fixed[name] for name in self.order
        ]

    def firsts(self, variables: Any) -> tuple[Any, ...]:
        """The page sizes asked for (`first` and `last` of every root), the key of the plan's costs: `last`
        counts like `first` (schema/limits/cost.py), so a cost is never reused for a larger `last`."""
        if variables:
            return tuple(_sizes(root.arguments(variables)) for root in self.roots)
        if self.literal_firsts is None:
            self.literal_firsts = tuple(_sizes(root.arguments(variables)) for root in self.roots)
        return self.literal_firsts


def _sizes(arguments: dict[str, Any]) -> tuple[Any, Any]:
    return arguments.get("first"), arguments.get("last")


class Planner(Specials):
    def __init__(
        self,
        schema: GraphQLSchema,
        document: Any,
        operation: OperationDefinitionNode,
        variables: Any,
        actions: frozenset[Action],
        refused: set[tuple[str, str]],
    ):
        self.schema, self.operation, self.variables, self.actions = schema, operation, variables, actions
        self.refused = refused  # (type, field) pairs the mapping must not compile
        self._joins: dict[int, list[tuple[Any, Any]]] = {}  # id(source) -> the joins of its select
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.aliases = 0
        self.roots: list[RootList | NodeRoot] = []

    # ------------------------------------------------------------------ selections, as graphql-core collects them

    def _included(self, node: Any) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip and skip.get("if"):
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (include is not None and not include.get("if"))

    def _matches(self, condition: Any, type_: Any) -> bool:
        if condition is None:
            return True
        wanted = self.schema.get_type(condition.name.value)
        if wanted is type_:
            return True
        return bool(wanted is not None and is_abstract_type(wanted) and self.schema.is_sub_type(wanted, type_))

    def collect(self, type_: Any, nodes: list[FieldNode]) -> dict[str, list[FieldNode]]:
        """Response key -> its field nodes, in first-appearance order (graphql-core's collect_subfields)."""
        fields: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()

        def walk(selection_set: Any) -> None:
            for selection in selection_set.selections:
                if not self._included(selection):
                    continue
                if isinstance(selection, FieldNode):
                    key = selection.alias.value if selection.alias else selection.name.value
                    fields.setdefault(key, []).append(selection)
                elif isinstance(selection, InlineFragmentNode):
                    if self._matches(selection.type_condition, type_):
                        walk(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    if name in visited:
                        continue
                    visited.add(name)
                    fragment = self.fragments[name]
                    if self._matches(fragment.type_condition, type_):
                        walk(fragment.selection_set)

        for node in nodes:
            if node.selection_set is not None:
                walk(node.selection_set)
        return fields

    def joined(self, source: Any, build: Any) -> tuple[Any, Any]:
        """`build()` (an expression over `source`'s rows) and the FROM to select it from: `source` with
        a LEFT JOIN per to-one relation reached from it, directly or through other to-one relations."""
        scope: list[tuple[Any, Any]] = []
        self._joins[id(source)] = scope
        try:
            value = build()
        finally:
            del self._joins[id(source)]
            for target, _ in scope:
                self._joins.pop(id(target), None)
        from_ = source
        for target, on in scope:
            from_ = from_.outerjoin(target, on)
        return value, from_

    def _alias(self, type_name: str) -> Any:
        self.aliases += 1
        return TABLES[type_name].alias(f"r{self.aliases}")

    # ------------------------------------------------------------------ objects

    def object_json(self, type_name: str, nodes: list[FieldNode], source: Any) -> Any:
        fields = self.collect(self.schema.get_type(type_name), nodes)
        pairs = []
        for key, field_nodes in fields.items():
            name = field_nodes[0].name.value
            if name == "__typename":
                pairs.append((key, sql.json_constant(type_name)))
                continue
            spec = FIELDS.get(type_name, {}).get(name)
            if spec is None or (type_name, name) in self.refused:
                raise NotCompilable(f"{type_name}.{name}")
            pairs.append((key, self.field_value(type_name, spec, field_nodes, source)))
        if len(pairs) > _MAX_PAIRS:
            raise NotCompilable("too many fields in one object")
        return sql.json_object(pairs)

    def field_value(self, type_name: str, spec: Any, nodes: list[FieldNode], source: Any) -> Any:
        if isinstance(spec, Scalar):
            if spec.gate is not None and spec.gate not in self.actions:
                raise NotCompilable(f"{type_name}.{spec.column} is gated")  # the reference writes FORBIDDEN
            column = source.c[spec.column]
            if spec.kind == "id":
                return sql.global_id(type_name, column)
            if spec.kind == "decimal":
                return sql.decimal_text(column)
            if spec.kind == "date":
                return sql.iso_date(column)
            return sql.iso_datetime(column) if spec.kind == "datetime" else column
        if isinstance(spec, ToOne):
            target = self._alias(spec.target)
            on = target.c[spec.key] == source.c[spec.column]
            scope = self._joins.get(id(source))
            if scope is None:
                return select(self.object_json(spec.target, nodes, target)).where(on).scalar_subquery()
            # A LEFT JOIN of the enclosing select (see `joined`): one hash or merge join for the whole
            # page instead of a subquery per row. Keys are unique (ids, codes): no row is multiplied.
            scope.append((target, on))
            self._joins[id(target)] = scope
            body = self.object_json(spec.target, nodes, target)
            return sql.json_text(case((target.c[spec.key].is_(None), None), else_=body))
        if isinstance(spec, ToMany):
            target = self._alias(spec.target)
            body = self.object_json(spec.target, nodes, target)
            aggregate = sql.json_array(body, *(target.c[c] for c in spec.order))
            rows = select(aggregate).where(target.c[spec.column] == source.c[spec.key])
            return rows.scalar_subquery()
        assert isinstance(spec, Special)
        return getattr(self, "_" + spec.name)(nodes, source)

    # ------------------------------------------------------------------ node(id:)

    def node(self, root: NodeRoot, nodes: list[FieldNode]) -> Any:
        """One object of whichever mapped type the id names: a CASE over the types whose selection
        compiles (for the others, `bind` leaves the request to the reference)."""
        type_param, id_param = root.param("type", String()), root.param("id", Uuid())
        whens = []
        interface: Any = self.schema.get_type("Node")
        for type_name in NODE_TYPES:
            type_: Any = self.schema.get_type(type_name)
            if type_ is None or not self.schema.is_sub_type(interface, type_):
                continue
            target = self._alias(type_name)
            try:
                body = self.object_json(type_name, nodes, target)
            except NotCompilable:
                continue
            found = select(body).where(target.c.id == id_param).scalar_subquery()
            whens.append((type_param == sql.quoted(type_name), found))
            root.types.add(type_name)
        if not whens:
            raise NotCompilable("no node type compiles for this selection")
        return sql.json_text(case(*whens, else_=None))

    # ------------------------------------------------------------------ connections and the root

    def connection(self, root: RootList, nodes: list[FieldNode]) -> Any:
        page, count, first, has_cursor = root.statements()
        connection_type: Any = get_named_type(root.field.type)
        edge_type: Any = get_named_type(connection_type.fields["edges"].type)
        node_type_name = get_named_type(edge_type.fields["node"].type).name
        pairs: list[tuple[str, Any]] = []
        for key, field_nodes in self.collect(connection_type, nodes).items():
            name = field_nodes[0].name.value
            if name == "__typename":
                pairs.append((key, sql.json_constant(connection_type.name)))
            elif name == "totalCount":
                pairs.append((key, count))
            elif name == "pageInfo":
                pairs.append((key, self._page_info(field_nodes, root, page, first, has_cursor)))
            elif name != "edges":
                pairs.append((key, root.connection_field(name)))  # a field of this connection's own
            else:

                def edge_json(field_nodes: list[FieldNode] = field_nodes) -> Any:
                    edge_pairs: list[tuple[str, Any]] = []
                    for edge_key, edge_nodes in self.collect(edge_type, field_nodes).items():
                        edge_field = edge_nodes[0].name.value
                        if edge_field == "__typename":
                            edge_pairs.append((edge_key, sql.json_constant(edge_type.name)))
                        elif edge_field == "cursor":
                            edge_pairs.append((edge_key, root.cursor(page)))
                        else:
                            edge_pairs.append((edge_key, self.object_json(node_type_name, edge_nodes, page)))
                    return sql.json_object(edge_pairs)

                # The nodes' to-one relations become LEFT JOINs of the page (see `joined`).
                edge, from_ = self.joined(page, edge_json)
                edges = select(sql.json_array(edge, root.position(page))).select_from(from_).where(page.c._rn <= first)
                pairs.append((key, edges.scalar_subquery()))
        return sql.json_object(pairs)

    def _page_info(self, nodes: list[FieldNode], root: RootList, page: Any, first: Any, has_cursor: Any) -> Any:
        """As fetch_page: the extra row read past the page says whether there are more rows on the side the
        page was read towards (after it forwards, before it backwards); the other side is whether a cursor
        was given. `_rn` counts from the cursor: the row nearest it is 1, the farthest kept one the largest."""
        more = select(func.count()).select_from(page).scalar_subquery() > first
        nearest = select(root.cursor(page)).where(page.c._rn == 1, page.c._rn <= first).scalar_subquery()
        farthest = select(root.cursor(page)).where(page.c._rn <= first).order_by(page.c._rn.desc()).limit(1)
        after_side, before_side = (has_cursor, more) if root.backward else (more, has_cursor)
        start, end = (farthest.scalar_subquery(), nearest) if root.backward else (nearest, farthest.scalar_subquery())
        pairs: list[tuple[str, Any]] = []
        for key, field_nodes in self.collect(self.schema.get_type("PageInfo"), nodes).items():
            name = field_nodes[0].name.value
            if name == "__typename":
                value: Any = sql.json_constant("PageInfo")
            elif name == "hasNextPage":
                value = after_side
            elif name == "hasPreviousPage":
                value = before_side
            elif name == "startCursor":
                value = start
            else:  # endCursor
                value = end
            pairs.append((key, value))
        return sql.json_object(pairs)

    def plan(self) -> Plan:
        query_type: Any = self.schema.query_type
        pairs: list[tuple[str, Any]] = []
        reads: list[tuple[str, FieldNode, bool]] = []
        cursors: list[tuple[str, FieldNode]] = []
        typenames: list[str] = []
        fields = self.collect(query_type, [self.operation])  # type: ignore[list-item]
        for key, nodes in fields.items():
            name = nodes[0].name.value
            if name == "__typename":
                pairs.append((key, sql.json_constant(query_type.name)))
                typenames.append(key)
                continue
            if name == "eventCursor":
                cursors.append((key, nodes[0]))
            elif name in query_type.fields:
                reads.append((key, nodes[0], is_non_null_type(query_type.fields[name].type)))
            if Action.READ not in self.actions:
                raise NotCompilable("may not read")
            if name == "eventCursor":
                latest = select(cast(func.coalesce(func.max(Event.id), 0), Text))
                pairs.append((key, latest.scalar_subquery()))
            elif name in ROOTS:
                if ROOTS[name].action not in self.actions:
                    raise NotCompilable(f"Query.{name} is forbidden")  # the reference writes FORBIDDEN
                field_def = query_type.fields[name]
                root = ROOTS[name](f"f{len(self.roots)}_", field_def, nodes[0], self.variables, self.actions)
                self.roots.append(root)
                pairs.append((key, self.connection(root, nodes)))
            elif name == "node":
                node_root = NodeRoot(f"f{len(self.roots)}_", query_type.fields[name], nodes[0])
                pairs.append((key, self.node(node_root, nodes)))
                self.roots.append(node_root)
            else:
                raise NotCompilable(f"Query.{name}")
        if not self.roots and all(name == "__typename" for name in (n[0].name.value for n in fields.values())):
            raise NotCompilable("nothing to read")  # the reference answers without the database
        if len(pairs) > _MAX_PAIRS:
            raise NotCompilable("too many root fields")
        statement = sql.inline_constants(select(sql.json_object(pairs)), _DIALECT)
        compiled = statement.compile(dialect=_DIALECT)
        fixed = compiled.construct_params()
        return Plan(
            compiled.string,
            list(compiled.positiontup or []),
            dict(fixed),
            self.roots,
            reads=reads,
            cursors=cursors,
            typenames=typenames,
        )
