"""Where drift data comes from (`DataSource`): a CSV/Parquet file or an SQL query. Stored
per model version by the registry, so it is read and validated without numpy; `load()`
imports the readers in `data`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tools.registry.drift.errors import DriftInputError

if TYPE_CHECKING:
    from tools.registry.drift.data import Table

FILE_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".parquet", ".pq")


def file_kind(path: Path) -> str | None:
    """The reader a file name calls for: "csv" or "parquet"; None for any other suffix."""
    name = path.name.lower()
    if name.endswith((".csv", ".csv.gz", ".tsv")):
        return "csv"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    return None


def unsupported(path: Path) -> DriftInputError:
    return DriftInputError(
        f"unsupported data file type: {path.name}; allowed: {', '.join(FILE_SUFFIXES)}"
    )


def safe_url(url: Any) -> str:
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable database URL>"


@dataclass(frozen=True)
class DataSource:
    """Where reference or current data comes from; stored per model version by the registry.

    kind "csv"/"parquet" needs `path`; kind "sql" needs `query` and either `url` here or an
    engine passed to `load()` (the registry's own database, for example).
    """

    kind: str
    path: str | None = None
    query: str | None = None
    url: str | None = None
    params: dict[str, Any] | None = None
    columns: tuple[str, ...] | None = None

    KINDS = ("csv", "parquet", "sql")

    def __post_init__(self) -> None:
        if self.kind not in self.KINDS:
            raise DriftInputError(
                f"unknown data source kind {self.kind!r}; allowed: {', '.join(self.KINDS)}"
            )
        if self.kind == "sql":
            if not self.query:
                raise DriftInputError("a 'sql' data source needs a query")
        elif not self.path:
            raise DriftInputError(f"a {self.kind!r} data source needs a path")
        if self.columns is not None:
            object.__setattr__(self, "columns", tuple(self.columns))

    @classmethod
    def file(cls, path: str | Path, columns: Sequence[str] | None = None) -> DataSource:
        kind = file_kind(Path(path))
        if kind is None:
            raise unsupported(Path(path))
        return cls(kind=kind, path=str(path), columns=tuple(columns) if columns else None)

    @classmethod
    def sql(
        cls, query: str, url: str | None = None, params: Mapping[str, Any] | None = None
    ) -> DataSource:
        return cls(kind="sql", query=query, url=url, params=dict(params) if params else None)

    def load(self, engine: Any = None) -> Table:
        from tools.registry.drift.data import Table, _select, load_csv, load_parquet, load_sql

        cols = list(self.columns) if self.columns is not None else None
        if self.kind == "csv":
            return load_csv(str(self.path), columns=cols)
        if self.kind == "parquet":
            return load_parquet(str(self.path), columns=cols)
        if self.url is None and engine is None:
            raise DriftInputError("this SQL data source has no url; pass engine= to load() it")
        table = load_sql(
            str(self.query),
            url=self.url if engine is None else None,
            engine=engine,
            params=self.params,
        )
        if cols is None:
            return table
        return Table(
            columns=_select(table.columns, cols, table.source),
            n_rows=table.n_rows,
            source=table.source,
        )

    def describe(self) -> str:
        if self.kind == "sql":
            where = safe_url(self.url) if self.url else "the registry database"
            return f"SQL on {where}: {' '.join(str(self.query).split())[:120]}"
        return str(self.path)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        for key in ("path", "query", "url", "params"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.columns is not None:
            out["columns"] = list(self.columns)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DataSource:
        unknown = set(data) - {"kind", "path", "query", "url", "params", "columns"}
        if unknown:
            raise DriftInputError(f"unknown data source field(s): {', '.join(sorted(unknown))}")
        if "kind" not in data:
            raise DriftInputError("a data source needs a 'kind' (csv, parquet or sql)")
        cols = data.get("columns")
        return cls(
            kind=str(data["kind"]),
            path=data.get("path"),
            query=data.get("query"),
            url=data.get("url"),
            params=dict(data["params"]) if data.get("params") else None,
            columns=tuple(cols) if cols is not None else None,
        )
