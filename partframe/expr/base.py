"""The expression node: an immutable step of a lazy plan.

A node holds its ``operands`` (child nodes and plain parameters) and derives
everything else, once:

- ``_name``: a deterministic token of its type and operands, so the same plan
  gives the same graph keys and a repeated sub-plan is computed once;
- ``_meta``: an empty pandas object with the exact result schema (or, for a
  scalar result, a sample value of the right type);
- ``divisions``: ``npartitions + 1`` index boundaries, all ``None`` when
  unknown;
- ``_layer()``: the node's own tasks, keyed ``(_name, i)``.

Subclasses list their operand names in ``_parameters`` (with ``_defaults``);
each name becomes a read-only property. ``operands`` is a tuple, fixed when
the node is built (:meth:`Expr._fill_operands` is the one place a node
derives an operand from the others). Rewrites never mutate a node: they
build new ones (:meth:`Expr.substitute_operands`, :func:`rewrite`).

The optimizer's passes (:mod:`partframe.expr.optimize`) ask nodes what they
can do only through the hooks declared here, each with a default that
means "nothing to do" (``None``) or is always safe: ``_simplify``,
``_lower``, ``_column_needs``, ``_with_columns``, ``_narrowable_inputs``,
``_row_filter``, ``_predicate_through``, ``_with_predicate``,
``_terms_by_input``, ``_filter_below``; the statistics hooks
``_estimate_rows``, ``_column_widths``, ``_column_range``,
``_estimated_as``, ``_with_estimates``; and ``compute`` asks
``_to_client``. Subclasses override them with the same signatures.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, TypeAlias

import numpy as np
import pandas as pd

from ..graph import Key
from ..tokenize import normalize_token

if TYPE_CHECKING:
    from .statistics import Estimate

__all__ = [
    "Below",
    "Expr",
    "RowsInPlace",
    "column_dtype",
    "follow",
    "map_operand_exprs",
    "operand_exprs",
    "plain_scalar",
    "rewrite",
    "walk",
]

_RESERVED = {"operands", "divisions", "npartitions", "dependencies"}
_CONTAINERS = (list, tuple, dict)

#: A node's own tasks: ``{(name, i): task}`` (see :mod:`partframe.graph`).
Layer: TypeAlias = dict[Key, Any]
#: ``npartitions + 1`` index boundaries (all ``None`` when unknown).
Divisions: TypeAlias = tuple[Any, ...]
#: Column labels a node must provide; ``None``: all of them.
Needed: TypeAlias = set[Any] | None
#: ``(child, columns it must provide)`` pairs (see ``Expr._column_needs``).
ColumnNeeds: TypeAlias = list[tuple["Expr", Needed]]


def plain_scalar(value: Any) -> Any:
    """A numpy scalar as the Python or pandas scalar ``Index.tolist()`` gives.

    Examples
    --------
    >>> type(plain_scalar(np.int64(3))), plain_scalar(np.datetime64("2024-01-02"))
    (<class 'int'>, Timestamp('2024-01-02 00:00:00'))
    >>> plain_scalar("a"), plain_scalar(None)
    ('a', None)
    """
    if not isinstance(value, np.generic):
        return value
    kind = value.dtype.kind
    if kind == "M":
        return pd.Timestamp(value)
    if kind == "m":
        return pd.Timedelta(value)
    if kind in "iufcbUS":
        return value.item()
    return value


class Expr:
    """Base class of all expression nodes."""

    _parameters: ClassVar[list[str]] = []
    _defaults: ClassVar[dict[str, Any]] = {}
    # Operands naming a node this one only *describes itself by* (its
    # divisions, its partitioning) without computing from it: not a
    # dependency (no graph edge, no effect on fusion), but rewritten with
    # the plan, so a lowered or projected plan still refers to the node
    # that the rest of the plan holds. The referenced node must be below a
    # real dependency, so every rewrite meets it first.
    _references: ClassVar[tuple[str, ...]] = ()
    # May the meta be shared by every node of the same name (see
    # :func:`_shared_meta`)? True when the name covers every operand (the
    # default ``_name``); a class that names itself otherwise turns it off.
    _meta_by_name: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for i, name in enumerate(cls._parameters):
            if name in _RESERVED or name.startswith("_"):
                raise TypeError(f"{cls.__name__}: parameter name {name!r} is reserved")
            if name not in cls.__dict__:
                setattr(cls, name, property(_operand_getter(i), doc=f"operand {name}"))
        if "_name" in cls.__dict__ and "_meta_by_name" not in cls.__dict__:
            cls._meta_by_name = False
        meta = cls.__dict__.get("_meta")
        if isinstance(meta, functools.cached_property) and not getattr(
            meta.func, "_shares_meta", False
        ):
            shared = functools.cached_property(_shared_meta(meta.func))
            shared.__set_name__(cls, "_meta")
            cls._meta = shared  # type: ignore[method-assign,assignment]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        params = self._parameters
        if len(args) > len(params):
            raise TypeError(
                f"{type(self).__name__} takes {len(params)} operands, got {len(args)}"
            )
        operands = list(args)
        for name in params[len(args) :]:
            if name in kwargs:
                operands.append(kwargs.pop(name))
            elif name in self._defaults:
                operands.append(self._defaults[name])
            else:
                raise TypeError(f"{type(self).__name__} needs operand {name!r}")
        if kwargs:
            raise TypeError(
                f"{type(self).__name__} got unknown operands {sorted(kwargs)}"
            )
        self._operands = tuple(operands)
        self._validate()
        filled = self._fill_operands()
        if filled:
            # Still being built: the name, and every use of the node, come
            # after this.
            ops = list(self._operands)
            for name, value in filled.items():
                ops[params.index(name)] = value
            self._operands = tuple(ops)
            # what _validate derived from the unfilled operands
            for derived in ("_dependencies", "_frame_inputs_cache"):
                self.__dict__.pop(derived, None)
        # Children already know their names: computing ours now keeps name
        # computation flat, however deep the plan is.
        self._name  # noqa: B018

    @property
    def operands(self) -> tuple[Any, ...]:
        """The node's operands, in ``_parameters`` order (a tuple: a node
        never changes; rewrites build new nodes)."""
        return self._operands

    def _validate(self) -> None:
        """Raise here (at plan-building time) for invalid operands."""

    def _fill_operands(self) -> dict[str, Any] | None:
        """Operands this node works out from the others, while it is built.

        Called once, after :meth:`_validate` and before the name is
        computed; returns ``{name: value}`` for the operands to set (the
        default: none). Such an operand is typically given as ``None`` and
        filled here (a pandas source's split, a join's strategy), so the
        name covers it and every rebuild of the node (which passes all
        operands) keeps it instead of working it out again.
        """
        return None

    # -- identity ---------------------------------------------------------
    @functools.cached_property
    def _name(self) -> str:
        early = self.__dict__.pop("_early_name", None)
        if early is not None and early[0] is self._operands:
            return str(early[1])  # named before its operands were complete
        return f"{self._funcname}-{self._operands_token()}"

    def _operands_token(self) -> str:
        """``tokenize(type(self), *self.operands)``, reusing the normalized
        operands of the node this one was rebuilt from.

        A rewrite rebuilds a node with new children and every other operand
        the very same object (:meth:`_rebuilt`), so each operand's
        normalized ``repr`` is kept (``_op_reprs``) and taken again for an
        operand that is the same object at the same place; only the
        changed ones (the children, whose normalized form is their name)
        are normalized again. The token is exactly ``tokenize``'s: the
        ``repr`` of its normalized arguments is assembled from the parts.
        """
        ops = self._operands
        prior = self.__dict__.get("_op_reprs")
        if prior is not None and len(prior[0]) == len(ops):
            old_ops, old_reprs = prior
            reprs = [
                old_reprs[i] if old_ops[i] is op else _operand_repr(op)
                for i, op in enumerate(ops)
            ]
        else:
            reprs = [_operand_repr(op) for op in ops]
        # (this node's own operands: no reference to an older node is kept)
        self.__dict__["_op_reprs"] = (ops, reprs)
        # tokenize(*args) hashes repr(normalize_token((args, ()))), and
        # normalize_token of a tuple is ("tuple", *normalized items)
        data = "('tuple', ('tuple', {}), ('tuple',))".format(
            ", ".join([_type_repr(type(self)), *reprs])
        )
        return hashlib.md5(data.encode(), usedforsecurity=False).hexdigest()

    def _rebuilt(self, operands: list[Any]) -> Expr:
        """A node of this type on ``operands``, named reusing this node's
        normalized operands where they are the same objects (see
        :meth:`_operands_token`)."""
        cls = type(self)
        new = cls.__new__(cls)
        prior = self.__dict__.get("_op_reprs")
        if prior is not None:
            new.__dict__["_op_reprs"] = prior
        new.__init__(*operands)  # type: ignore[misc]
        return new

    def _meta_key(self) -> str:
        """The name, or while the node is being built (its ``_validate``
        asks for its meta) the name its operands give so far: the same
        name unless ``_fill_operands`` changes them, in which case the
        name is computed again."""
        try:
            return str(self.__dict__["_name"])
        except KeyError:
            pass
        early = self.__dict__.get("_early_name")
        if early is None or early[0] is not self._operands:
            name = f"{self._funcname}-{self._operands_token()}"
            early = self.__dict__["_early_name"] = (self._operands, name)
        return str(early[1])

    @property
    def _funcname(self) -> str:
        return type(self).__name__.lower()

    def __dask_tokenize__(self) -> str:
        return self._name

    def __hash__(self) -> int:
        return hash(self._name)

    def __eq__(self, other: object) -> bool:  # structural identity, not elementwise
        return isinstance(other, Expr) and other._name == self._name

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.operands))

    # -- structure --------------------------------------------------------
    def dependencies(self) -> list[Expr]:
        """Child nodes, in operand order, each once.

        Every ``Expr`` anywhere in the operands counts, nested lists,
        tuples and dicts included (:func:`operand_exprs`); the traversals
        (:func:`walk`, :func:`rewrite`, graph building) all see the same
        children through this method.
        """
        try:
            return list(self.__dict__["_dependencies"])
        except KeyError:
            pass
        out: dict[str, Expr] = {}
        for op in self._computed_operands():
            if isinstance(op, Expr):
                out.setdefault(op._name, op)
            elif type(op) in _CONTAINERS:
                for e in operand_exprs(op):
                    out.setdefault(e._name, e)
        # (the node never changes: its children are found once)
        deps = self.__dict__["_dependencies"] = tuple(out.values())
        return list(deps)

    def _computed_operands(self) -> tuple[Any, ...] | list[Any]:
        if not self._references:
            return self._operands
        refs = _reference_positions(type(self))
        return [op for i, op in enumerate(self._operands) if i not in refs]

    def _with_dependencies(self, new: dict[str, Expr]) -> Expr:
        """This node on other children: ``new`` maps each child's name to
        its replacement (every child must be there). Returns ``self`` when
        nothing changes. Nodes whose ``dependencies`` are not simply their
        operands' expressions (:class:`~partframe.expr.optimize.fuse.Fused`) override
        this together with ``dependencies``.
        """
        refs = _reference_positions(type(self))
        ops = list(self._operands)
        changed = False
        for i, op in enumerate(ops):
            if isinstance(op, Expr):
                out = new.get(op._name, op) if i in refs else new[op._name]
            elif type(op) in _CONTAINERS:
                out = map_operand_exprs(
                    op,
                    (lambda e: new.get(e._name, e))
                    if i in refs
                    else lambda e: new[e._name],
                )
            else:
                continue  # (a plain operand holds no node)
            if out is not op:
                ops[i] = out
                changed = True
        if not changed:
            return self
        return self._rebuilt(ops)

    def _column_needs(self, needed: Needed) -> ColumnNeeds:
        """Columns each input must provide, given what parents need.

        ``needed`` is the set of output columns that parents use (``None``:
        all). Returns ``(child, columns)`` pairs, ``columns`` a set or
        ``None`` for all. The default is safe: every input provides all its
        columns. Projection pushdown
        (:func:`~partframe.expr.optimize.push_projections`) relies on nodes
        that override this being exact.
        """
        return [(d, None) for d in self.dependencies()]

    # -- optimizer hooks (see partframe.expr.optimize) --------------------
    def _simplify(self) -> Expr | None:
        """An equivalent, cheaper node, or ``None`` for no change.

        Local: the rewrite changes this node and what is directly below it
        and keeps its result exactly (schema, partitions, divisions). Used
        by :func:`~partframe.expr.optimize.simplify`.
        """
        return None

    def _lower(self) -> Expr | None:
        """The physical plan computing this logical node, or ``None`` when
        the node is physical already.

        The plan must have this node's partitions (count and divisions).
        Used by :func:`~partframe.expr.optimize.lower`, which lowers the
        nodes the returned plan holds too.
        """
        return None

    def _with_columns(self, columns: list[Any]) -> Expr | None:
        """This DataFrame node producing only ``columns`` (a subset of its
        columns, in their order), or ``None`` when it cannot narrow.

        A file reader reads fewer columns. Rows, index and partitions stay
        the same. Used by :func:`~partframe.expr.optimize.push_projections`.
        """
        return None

    def _narrowable_inputs(self) -> list[str] | None:
        """The operands (DataFrame inputs) worth narrowing to the columns
        this node needs of them, by a column selection right below it, or
        ``None``.

        A node that moves its input's rows (a shuffle, a join's exchange or
        broadcast, a sort) carries every column it is given, including
        those no parent uses; a selection below it, fused into the
        partition-wise step before the move, leaves them behind. Such a
        node's ``_column_needs`` must be exact. Used by
        :func:`~partframe.expr.optimize.push_projections_below`.
        """
        return None

    def _row_filter(self) -> tuple[Expr, Expr] | None:
        """``(frame, predicate)`` when this node keeps exactly the rows of
        ``frame`` where the boolean Series ``predicate`` is true, else
        ``None``. Used by :func:`~partframe.expr.optimize.push_predicates`.
        """
        return None

    def _as_method_call(
        self,
    ) -> tuple[Expr, str, tuple[Any, ...], dict[str, Any]] | None:
        """``(frame, method, args, kwargs)`` when this node computes
        ``frame.method(*args, **kwargs)`` (a pandas method, per partition),
        else ``None``. Predicate pushdown reads ``isin``/``between`` calls
        through it.
        """
        return None

    def _predicate_through(self) -> Expr | None:
        """The input whose rows this node passes through unchanged (every
        row, in order, each kept column's values as they are), or ``None``.

        A condition on this node's columns then holds of the same rows of
        that input, so predicate pushdown looks for a source through it (a
        column selection says so).
        """
        return None

    def _with_predicate(self, terms: list[Any]) -> Expr | None:
        """This source skipping data where no row satisfies all ``terms``,
        or ``None`` when it cannot use them (or has them already).

        ``terms`` are ``(column, op, value)`` triples (``op`` one of ``<``,
        ``<=``, ``>``, ``>=``, ``==``, ``!=``, ``in``) on the source's
        columns. The source may skip data (Parquet row groups whose
        statistics rule the terms out) but must keep its partitions (count
        and divisions); the filter above it stays in the plan and filters
        the rows. Used by :func:`~partframe.expr.optimize.push_predicates`.
        """
        return None

    def _read_key(self) -> Any:
        """A hashable key equal for sources that read the same rows of the
        same data, differing only in the columns they produce and in the
        data they skip for filters above them (which drop those rows
        anyway), or ``None`` (the default: not such a source).

        Sources with one key can be served by one read
        (:meth:`_read_union`). Used by
        :func:`~partframe.expr.optimize.share_reads`.
        """
        return None

    def _read_union(self, others: list[Expr]) -> Expr | None:
        """One source producing every column of this source and of
        ``others`` (sources with this ``_read_key``), and every row any of
        them produces, or ``None`` when it cannot.

        Its partitions (count and divisions) and index are those of each
        of them; each source's partitions are the selection of its columns
        from the union's, except rows of data it skipped that the filters
        above it drop. Used by :func:`~partframe.expr.optimize.share_reads`.
        """
        return None

    def _terms_by_input(self, terms: list[Any]) -> dict[str, list[Any]] | None:
        """Which of ``terms`` (on this node's output columns) may filter
        which input before this node: ``{operand name: terms}``, or ``None``.

        A term may go to an input when every output row whose value fails
        it comes from an input row whose value fails it, with the same
        value: then removing those input rows removes exactly output rows
        the filter above removes (an inner merge: each side's own columns
        and the shared keys; a left merge: the left side's only). Used by
        :func:`~partframe.expr.optimize.push_filters_below`.
        """
        return None

    # -- statistics hooks (see partframe.expr.statistics) ------------------
    def _estimate_rows(self, rows: list[Estimate]) -> float | None:
        """Estimated rows of the result, from the estimates of
        ``dependencies()`` (same order; see :meth:`_rows_of`), or ``None``.

        The default knows nothing. Used by
        :func:`~partframe.expr.statistics.estimate`.
        """
        return None

    def _rows_of(self, inputs: list[Estimate], child: Expr) -> float | None:
        """The estimated rows of ``child``, from ``inputs`` (one estimate
        per dependency)."""
        for dep, est in zip(self.dependencies(), inputs):
            if dep._name == child._name:
                return est.rows
        return None

    def _column_widths(self) -> dict[Any, float] | None:
        """Measured in-memory bytes per row of each output column (a source
        that has read its files' metadata or holds its data), or ``None``:
        derived from the dtypes and the inputs' widths."""
        return None

    def _column_range(self, column: Any) -> tuple[Any, Any] | None:
        """``(min, max)`` of a column of this source, known without reading
        the data (Parquet statistics), or ``None``."""
        return None

    def _has_no_missing(self, column: Any = None) -> bool:
        """Whether ``column`` (of a frame; ``None``: a Series' own values)
        is known to hold no missing value without reading the data: the
        source says so (Parquet null counts, data in memory) and the nodes
        between keep it (selections, filters, the preserved side of a
        join). Accessors whose dtype pandas widens for missing values skip
        the whole-column decision on it. Nodes answer through
        :meth:`_no_missing_step`, followed in a loop (deep plans)."""
        return bool(follow(self, column, "_no_missing_step"))

    def _no_missing_step(self, column: Any) -> bool | Below:
        """This node's answer for :meth:`_has_no_missing`, or the column of
        a node below that holds the same values (:class:`Below`). The
        default knows nothing."""
        return False

    def _hash_partitioned(self) -> tuple[tuple[Any, ...], int] | None:
        """``(key columns, n)`` where this node's partitions are the ``n``
        outputs of a hash shuffle by those columns
        (:func:`~partframe.kernels.hashing.partitioning_index`), their
        values unchanged since: a hash join on them with as many
        partitions, the other side hashed alike, need not move these rows.
        Shuffles say so (:meth:`_hash_step`); nodes that keep each row in
        its partition pass the question on, each keeping the key columns
        with their dtypes (:meth:`_keeps_keys`). Followed in a loop."""
        node, path = self._rows_kept_from()
        step = node._hash_step()
        if step is None or isinstance(step, Below):
            return None
        return step if _keys_kept(node, path, step[0]) else None

    def _partition_ranges(self, column: Any) -> list[tuple[Any, Any] | None] | None:
        """Per partition, ``(min, max)`` bounds of ``column`` (``None``: a
        partition without rows), known without reading the data: a source
        that knows them (:meth:`_column_ranges`: Parquet statistics), then
        nodes that keep each row in its partition with the column's values
        (as for :meth:`_hash_partitioned`). Filters below keep the bounds
        true. ``None`` when unknown."""
        node, path = self._rows_kept_from()
        if not _keys_kept(node, path, (column,)):
            return None
        return node._column_ranges(column)

    def _column_distinct(self, column: Any) -> int | None:
        """The number of distinct values of a column of this source, known
        without reading its data (a Parquet dictionary page), or ``None``."""
        return None

    def _column_sample(self, columns: list[Any]) -> pd.DataFrame | None:
        """A few rows of these columns of a source, read at planning (a
        sample: :func:`~partframe.expr.statistics.selectivity` estimates on
        it the predicates statistics cannot read), or ``None`` (default)."""
        return None

    def _column_ranges(self, column: Any) -> list[tuple[Any, Any] | None] | None:
        """A source's per-partition ``(min, max)`` of ``column`` (``None``
        for a partition without rows), or ``None`` (default): unknown."""
        return None

    def _rows_kept_from(self) -> tuple[Expr, list[Expr]]:
        """The first node down from this one (through nodes whose
        :meth:`_hash_step` is :class:`Below`: each row kept in its
        partition) that does not pass the question on, and the nodes
        passed."""
        path: list[Expr] = []
        node: Expr = self
        step = node._hash_step()
        while isinstance(step, Below):
            path.append(node)
            node = step.node
            step = node._hash_step()
        return node, path

    def _hash_step(self) -> tuple[tuple[Any, ...], int] | Below | None:
        """A hash shuffle's ``(keys, n)``, :class:`Below` (the input) for a
        node that keeps each row in its partition, or ``None`` (default)."""
        return None

    def _keeps_keys(self, keys: tuple[Any, ...]) -> bool:
        """For a node that passes :meth:`_hash_step` on: are ``keys``' values
        its input's (not assigned anew)?"""
        return True

    def _widened_alike(self, column: Any = None) -> Any:
        """The dtype that missing values make of ``column``'s (of a frame;
        ``None``: a Series' own values) when its partitions may hold it
        alike although the meta keeps pandas' dtype for data without
        missing values: a whole-column decision made below (an accessor,
        ``where``) with a narrow meta (:class:`~.elementwise.CastAlike`).
        ``None`` when no such decision is known.

        A join, whose partitions lose the rows that held the missing values
        (an inner join), asks its inputs to make the same decision for its
        result. A wrong "maybe" costs a reduction, never a wrong dtype: the
        flags are read from the partitions. Nodes answer through
        :meth:`_widened_step`, followed in a loop (deep plans)."""
        return follow(self, column, "_widened_step")

    def _widened_step(self, column: Any) -> Any:
        """This node's answer for :meth:`_widened_alike` (a dtype or
        ``None``), or :class:`Below`. By default, a column of the same label
        and dtype in the first input passes the question on (elementwise
        steps keep a widened column widened)."""
        deps = self.dependencies()
        if not deps:
            return None
        frame = deps[0]
        mine = column_dtype(self._meta, column)
        if mine is None or mine != column_dtype(frame._meta, column):
            return None
        return Below(frame, column)

    #: Whether the node groups its input's rows by key (an aggregation, a
    #: deduplication): a join filtering it by key saves that work
    #: (:mod:`~partframe.expr.optimize.semi_joins`).
    _reduces_by_key = False

    #: Whether the node joins its input's rows with another input's: a
    #: semi-join filter below it spares it the rows a later join drops.
    _joins_rows = False

    def _key_filter_step(self, column: Any) -> Below | None:
        """``Below(input, col)`` when keeping only this node's rows whose
        ``column`` holds one of some values equals computing the node from
        the rows of ``input`` whose ``col`` holds one of them: the kept
        rows' values and order unchanged (their index labels may differ:
        the consumer is a join on columns). ``None`` (default): it does
        not commute with such a filter."""
        return None

    def _on_input(self, old: Expr, new: Expr) -> Expr:
        """This node computed from ``new`` where it reads ``old`` (the
        operands that are ``old``; nodes with inputs derived from it
        rebuild those too)."""
        changes = {
            name: new
            for name, op in zip(self._parameters, self.operands)
            if isinstance(op, Expr) and op._name == old._name
        }
        return self.substitute_operands(**changes)

    def _semi_join_sides(self) -> list[tuple[str, Any, Expr, Any, bool]]:
        """For a join: ``(operand, key, other, other_key, whole)`` for each
        input (``operand``) whose rows without a match in the input
        ``other`` reach no output row, where ``other[other_key]`` is small
        enough to send to every partition: filtering the input by ``key``
        in it keeps the join's result. ``whole`` says whether all of
        ``other`` is that small too (a broadcastable side). Empty by
        default."""
        return []

    def _with_estimates(self) -> Expr | None:
        """This node with the choices it made when built (a join's strategy)
        made again on its inputs' estimates now, or ``None`` for no change.
        The partitions (count and divisions) must stay the same. Used by
        :func:`~partframe.expr.optimize.lower`."""
        return None

    def _estimated_as(self) -> Expr | None:
        """A node whose estimate is this node's (a fused group: its output
        node), or ``None``."""
        return None

    def _first_rows(self, n: int) -> Expr | None:
        """A plan for this node's first ``n`` rows cheaper than computing it
        whole and taking its head (``Head`` asks its input), or ``None``."""
        return None

    def _filter_below(
        self,
        columns: set[Any],
        filtered: Callable[[Expr, dict[Any, Any]], Expr | None],
    ) -> Expr | None:
        """This node computed from filtered inputs, equal to a row filter of
        it that reads ``columns`` (its output columns; ``SERIES`` of
        :mod:`partframe.expr.rowwise` for a Series' values), or ``None``
        when the filter does not commute with it.

        ``filtered(input, mapping)`` is ``input`` filtered by the same
        predicate, read on the input's columns (output column ``c`` is
        input column ``mapping[c]``, with the same values row by row), or
        ``None`` when it cannot be. The result must equal the filter of this
        node exactly: rows, their order, index, dtypes; partitions may hold
        other rows, but divisions stay true. Used by
        :func:`~partframe.expr.optimize.move_filters`.
        """
        return None

    def _to_client(self) -> Expr:
        """This plan, for a compute whose partitions go straight to the final
        concat in the calling process (a shared-memory scheduler; see
        :mod:`partframe.kernels.gather`). A node may then return partitions
        not built yet, which the concat builds at once. Default: itself.
        """
        return self

    def substitute_operands(self, **changes: Any) -> Expr:
        """A copy with some operands replaced (by name)."""
        if not changes:
            return self
        ops = list(self.operands)
        for name, value in changes.items():
            ops[self._parameters.index(name)] = value
        return self._rebuilt(ops)

    def operand(self, name: str) -> Any:
        """The operand called ``name``."""
        return self.operands[self._parameters.index(name)]

    # -- derived metadata -------------------------------------------------
    @functools.cached_property
    def _meta(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__} defines no _meta")

    @functools.cached_property
    def divisions(self) -> Divisions:
        # Boundaries often come out of pandas/numpy as numpy scalars; users
        # compare, print and serialize them as the plain values pandas'
        # ``Index.tolist()`` gives (dask#11765), so every node hands out those.
        return tuple(plain_scalar(d) for d in self._divisions())

    def _divisions(self) -> Divisions:
        raise NotImplementedError(f"{type(self).__name__} defines no divisions")

    @property
    def npartitions(self) -> int:
        return len(self.divisions) - 1

    @property
    def known_divisions(self) -> bool:
        return len(self.divisions) > 0 and self.divisions[0] is not None

    @property
    def _partitioning(self) -> str:
        """Nodes with equal ``_partitioning`` split rows identically.

        Partition-wise nodes inherit it from their frame inputs; every other
        node starts a partitioning of its own. Two inputs of a partition-wise
        operation are aligned when this matches, or when their known
        divisions are equal.
        """
        return self._name

    # -- tasks ------------------------------------------------------------
    def _layer(self) -> Layer:
        """This node's tasks: ``{(self._name, i): task}``."""
        return {(self._name, i): self._task(i) for i in range(self.npartitions)}

    def _task(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} defines no tasks")

    def _on_failure(self) -> None:
        """Clean up after a compute of a graph holding this node failed
        (default: nothing; a write's commit removes its staged files)."""

    def __dask_graph__(self) -> Layer:
        graph: Layer = {}
        for node in walk(self):
            graph.update(node._layer())
        return graph

    def __dask_keys__(self) -> list[Any]:
        return [(self._name, i) for i in range(self.npartitions)]

    # -- display ----------------------------------------------------------
    def _operand_repr(self) -> str:
        parts = []
        for name, op in zip(self._parameters, self.operands):
            if isinstance(op, Expr):
                continue
            if name in self._defaults and _same(op, self._defaults[name]):
                continue
            parts.append(f"{name}={_short_repr(op)}")
        return ", ".join(parts)

    def _tree_line(self) -> str:
        """This node's line in :meth:`tree_repr`."""
        return f"{type(self).__name__}({self._operand_repr()})"

    def tree_repr(
        self,
        indent: int = 0,
        _seen: set[Any] | None = None,
        note: Callable[[Expr], str] | None = None,
    ) -> str:
        """The plan as an indented tree, one node a line; ``note(node)``, when
        given, is appended to each node's line (estimated rows, say)."""
        seen = set() if _seen is None else _seen
        line = "  " * indent + self._tree_line()
        if self._name in seen:
            return line + "  [shared, shown above]"
        seen.add(self._name)
        if note is not None:
            line = f"{line}  {note(self)}"
        lines = [line]
        lines.extend(
            dep.tree_repr(indent + 1, seen, note) for dep in self.dependencies()
        )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._operand_repr()})"


#: Metas by node name (see :func:`_shared_meta`), oldest first.
_META_CACHE: dict[str, Any] = {}
_META_CACHE_SIZE = 4096
_meta_cache_lock = threading.Lock()
_meta_stats = {"computed": 0}


def _shared_meta(compute: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A node class's ``_meta`` computation, shared by equal nodes.

    Nodes are immutable and a node's name is a token of its type and all
    its operands, so two nodes of the same name have the same meta. A plan
    is rebuilt many times (every method call of the facade, every
    optimizer pass that rewrites a child rebuilds its parents, the same
    query built again), and a meta is often computed by running pandas on
    empty or stand-in frames (:func:`~partframe.expr.meta.emulate`), the
    costliest part of building a node. So the metas of the last
    ``_META_CACHE_SIZE`` names are kept and a node whose name is known
    takes its meta from there. Metas are never modified in place (code
    that adjusts one copies it first), so sharing one is safe. Errors are
    not kept: a node whose meta fails fails again, with the same error.
    """

    def _meta(self: Expr) -> Any:
        if not self._meta_by_name:
            return compute(self)
        key = self._meta_key()
        try:
            return _META_CACHE[key]
        except KeyError:
            pass
        out = compute(self)
        with _meta_cache_lock:
            _meta_stats["computed"] += 1
            _META_CACHE[key] = out
            if len(_META_CACHE) > _META_CACHE_SIZE:
                del _META_CACHE[next(iter(_META_CACHE))]
        return out

    _meta.__doc__ = compute.__doc__
    _meta._shares_meta = True  # type: ignore[attr-defined]
    return _meta


def clear_meta_cache() -> None:
    """Forget the metas kept by name (tests that count meta computations
    start from an empty cache)."""
    with _meta_cache_lock:
        _META_CACHE.clear()


def metas_computed() -> int:
    """How many metas shared by name were computed (not found) so far:
    tests bound the cost of planning with it."""
    return _meta_stats["computed"]


def _operand_repr(op: Any) -> str:
    """``repr(normalize_token(op))``; a node's normalized form is
    ``(module, qualname, name)`` (its ``__dask_tokenize__``), made here
    directly."""
    if isinstance(op, Expr):
        cls = type(op)
        return repr((cls.__module__, cls.__qualname__, op._name))
    return repr(normalize_token(op))


_REFERENCE_POSITIONS: dict[type, frozenset[int]] = {}
_TYPE_REPRS: dict[type, str] = {}


def _reference_positions(cls: type[Expr]) -> frozenset[int]:
    """Positions of a node class's ``_references`` operands (found once)."""
    try:
        return _REFERENCE_POSITIONS[cls]
    except KeyError:
        out = frozenset(cls._parameters.index(r) for r in cls._references)
        _REFERENCE_POSITIONS[cls] = out
        return out


def _type_repr(cls: type) -> str:
    """``repr(normalize_token(cls))``, once per class."""
    try:
        return _TYPE_REPRS[cls]
    except KeyError:
        out = _TYPE_REPRS[cls] = repr(normalize_token(cls))
        return out


def _operand_getter(i: int) -> Callable[[Expr], Any]:
    def get(self: Expr) -> Any:
        return self._operands[i]

    return get


def _rebuild(cls: type[Expr], operands: tuple[Any, ...]) -> Expr:
    return cls(*operands)


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a is b or (type(a) is type(b) and a == b))
    except Exception:
        return False


def _short_repr(x: Any) -> str:
    if isinstance(x, pd.DataFrame | pd.Series):
        return f"<{type(x).__name__} {x.shape}>"
    if callable(x):
        return getattr(x, "__name__", type(x).__name__)
    r = repr(x)
    return r if len(r) <= 60 else r[:57] + "..."


class RowsInPlace(Expr):
    """A node whose result has the partitions of its ``frame`` operand: the
    same divisions and partitioning (rows computed where they are, or sent
    back home after a shuffle)."""

    frame: Expr

    def _estimate_rows(self, rows: list[Estimate]) -> float | None:
        # at most the frame's rows (a dedup may keep fewer)
        return self._rows_of(rows, self.frame)

    def _divisions(self) -> Divisions:
        return self.frame.divisions

    @property
    def _partitioning(self) -> str:
        return self.frame._partitioning


def _children(node: Expr) -> tuple[Expr, ...] | list[Expr]:
    """``node.dependencies()`` without copying the kept tuple (traversals
    only read it; a class that overrides ``dependencies`` keeps none)."""
    deps = node.__dict__.get("_dependencies")
    return deps if deps is not None else node.dependencies()


def walk(expr: Expr) -> Iterator[Expr]:
    """Every distinct node below ``expr`` (itself included), parents first."""
    seen = {expr._name}
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        for dep in _children(node):
            if dep._name not in seen:
                seen.add(dep._name)
                stack.append(dep)


def operand_exprs(op: Any) -> Iterator[Expr]:
    """Every ``Expr`` inside one operand: itself, or nested in lists,
    tuples and dict values, in order (duplicates included).

    Examples
    --------
    >>> class Leaf(Expr):
    ...     _parameters = ["label"]
    >>> a, b = Leaf("a"), Leaf("b")
    >>> [e.label for e in operand_exprs([a, (1, {"k": b}), "x"])]
    ['a', 'b']
    """
    stack = [op]
    while stack:
        x = stack.pop()
        if isinstance(x, Expr):
            yield x
        elif type(x) in (list, tuple):
            stack.extend(reversed(x))
        elif type(x) is dict:
            stack.extend(reversed(list(x.values())))


def map_operand_exprs(op: Any, func: Callable[[Expr], Any]) -> Any:
    """``op`` with each ``Expr`` inside it (see :func:`operand_exprs`)
    replaced by ``func(expr)``; containers are rebuilt only where something
    inside changed, so an unchanged operand is returned as is.

    Examples
    --------
    >>> class Leaf(Expr):
    ...     _parameters = ["label"]
    >>> op = [Leaf("a"), (1, {"k": Leaf("b")})]
    >>> out = map_operand_exprs(op, lambda e: Leaf(e.label.upper()))
    >>> out[0].label, out[1][1]["k"].label, out[1][0]
    ('A', 'B', 1)
    """
    if isinstance(op, Expr):
        return func(op)
    if type(op) in (list, tuple):
        items = [map_operand_exprs(x, func) for x in op]
        if all(a is b for a, b in zip(items, op)):
            return op
        return type(op)(items)
    if type(op) is dict:
        values = {k: map_operand_exprs(v, func) for k, v in op.items()}
        if all(values[k] is v for k, v in op.items()):
            return op
        return values
    return op


def rewrite(expr: Expr, func: Callable[[Expr], Expr | None]) -> Expr:
    """Rebuild ``expr`` bottom-up, replacing each node by ``func(node)``.

    ``func`` returns a replacement or ``None`` for "no change". The
    replacement is itself rewritten: nodes it introduces below it are
    offered to ``func`` (children first) like any other, and its root is
    offered again until it settles (at most 100 rounds per node). So a
    lowering that returns several new nodes leaves none of them unlowered.
    Shared sub-plans are rewritten once.
    """
    # memo: name of a node already handled -> its final replacement. A
    # final node maps to itself, so a replacement that reuses rewritten
    # nodes does not rewrite them again.
    memo: dict[str, Expr] = {}
    _rewrite_into(expr, func, memo, depth=0)
    return memo[expr._name]


def _rewrite_into(
    expr: Expr, func: Callable[[Expr], Expr | None], memo: dict[Any, Any], depth: int
) -> None:
    if depth > 100:
        raise RuntimeError(f"rewrite of {type(expr).__name__} did not settle")
    for node in _postorder(expr, done=memo):
        new = node._with_dependencies(memo)
        for _ in range(100):
            out = func(new)
            if out is None or out._name == new._name:
                break
            if out._name in memo:
                new = memo[out._name]
                continue
            # New nodes below the replacement are rewritten first; the
            # replacement's own root is then final (rewritten in there).
            _rewrite_into(out, func, memo, depth + 1)
            new = memo[out._name]
            break
        else:
            raise RuntimeError(f"rewrite of {type(node).__name__} did not settle")
        memo[node._name] = new
        memo.setdefault(new._name, new)


def _postorder(expr: Expr, done: dict[Any, Any] | set[Any] | None = None) -> list[Expr]:
    """Nodes below ``expr``, children before parents, each once; nodes
    named in ``done`` (and everything below them) are left out."""
    out: list[Expr] = []
    finished: set[str] = set()
    skip = () if done is None else done
    stack: list[tuple[Expr, bool]] = [(expr, False)]
    while stack:
        node, expanded = stack.pop()
        if node._name in finished or node._name in skip:
            continue
        if expanded:
            finished.add(node._name)
            out.append(node)
            continue
        stack.append((node, True))
        for dep in reversed(_children(node)):
            if dep._name not in finished and dep._name not in skip:
                stack.append((dep, False))
    return out


def _keys_kept(node: Expr, path: list[Expr], keys: tuple[Any, ...]) -> bool:
    """Whether every node of ``path`` (above ``node``) keeps ``keys`` as
    columns of ``node``'s dtypes with its values."""
    want = [column_dtype(node._meta, k) for k in keys]
    if any(w is None for w in want):  # not ``None in``: dtype(None) is float64
        return False
    for p in path:
        got = [column_dtype(p._meta, k) for k in keys]
        if got != want or not p._keeps_keys(keys):
            return False
    return True


def column_dtype(meta: Any, column: Any) -> Any:
    """The dtype of ``column`` of a frame meta (``None``: of a Series meta),
    or ``None`` when there is no such single column."""
    if column is None:
        return meta.dtype if isinstance(meta, pd.Series) else None
    if not isinstance(meta, pd.DataFrame) or not meta.columns.is_unique:
        return None
    if column not in meta.columns:
        return None
    try:  # one column's array: ~1 us, where ``meta.dtypes`` builds a Series
        return meta._get_column_array(meta.columns.get_loc(column)).dtype
    except AttributeError:  # pragma: no cover - pandas moved it
        return meta[column].dtype


class Below(NamedTuple):
    """A hook's answer: ask ``node`` about its ``column`` instead."""

    node: Expr
    column: Any


def follow(node: Expr, column: Any, step: str) -> Any:
    """Call the hook ``step`` from ``node`` down while it answers
    :class:`Below`: a loop, so a plan of thousands of steps does not
    recurse."""
    out = getattr(node, step)(column)
    while isinstance(out, Below):
        out = getattr(out.node, step)(out.column)
    return out
