"""Data sources and bad input: each bad input is a clear error naming the bad thing."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.drift.conftest import BIKE_CURRENT, BIKE_FEATURES, BIKE_REFERENCE
from tools.registry.drift import (
    DataSource,
    DriftError,
    DriftInputError,
    DriftOptions,
    Table,
    load_csv,
    load_file,
    run_drift,
)

REPO = Path(__file__).resolve().parents[2]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def small_pair(tmp_path: Path) -> tuple[Path, Path]:
    ref = write(
        tmp_path / "ref.csv",
        "a,b,c\n" + "".join(f"{i % 7},{i * 0.5},x{i % 3}\n" for i in range(60)),
    )
    cur = write(
        tmp_path / "cur.csv",
        "a,b,c\n" + "".join(f"{i % 5},{i * 0.7},x{i % 4}\n" for i in range(50)),
    )
    return ref, cur


# ---------------------------------------------------------------------------------------
# reading files


def test_csv_types_follow_pandas_rules(tmp_path: Path) -> None:
    path = write(
        tmp_path / "t.csv",
        "i,f,na_f,b,s,under,empty\n1,1.5,,True,x,1_000,\n2,2.0,NA,false,y,2,\n3,inf,3,TRUE,,3,\n",
    )
    table = load_csv(path)
    kinds = {name: table[name].dtype for name in table.names}
    assert kinds == {
        "i": "numeric",
        "f": "numeric",
        "na_f": "numeric",
        "b": "bool",
        "s": "text",
        "under": "text",  # pandas does not read "1_000" as a number
        "empty": "numeric",  # all missing: float NaN column, as pandas
    }
    assert table["i"].integer and not table["f"].integer and not table["na_f"].integer
    assert table["s"].labels() == ["x", "y", None]
    assert table["b"].labels() == ["True", "False", "True"]
    assert np.isinf(table["f"].values[2])


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    with pytest.raises(DriftInputError, match=r"data file not found: .*nope\.csv"):
        run_drift(missing, BIKE_CURRENT)
    with pytest.raises(DriftInputError, match="data file not found"):
        run_drift(BIKE_REFERENCE, tmp_path / "gone.parquet")


def test_unsupported_suffix_lists_allowed(tmp_path: Path) -> None:
    path = write(tmp_path / "data.xlsx", "not really")
    with pytest.raises(
        DriftInputError, match=r"unsupported data file type: data\.xlsx; allowed: .*\.csv"
    ):
        load_file(path)


def test_empty_and_header_only_files(tmp_path: Path) -> None:
    empty = write(tmp_path / "empty.csv", "")
    with pytest.raises(DriftInputError, match="is empty: expected a header row"):
        load_csv(empty)
    header_only = write(tmp_path / "header.csv", "a,b\n")
    assert load_csv(header_only).n_rows == 0
    with pytest.raises(DriftInputError, match=r"the current data has no rows \(.*header\.csv\)"):
        run_drift(BIKE_REFERENCE, header_only)


def test_ragged_and_duplicate_header_csv(tmp_path: Path) -> None:
    ragged = write(tmp_path / "ragged.csv", "a,b\n1,2\n3,4,5\n")
    with pytest.raises(DriftInputError, match=r"ragged\.csv, line 3: 3 fields, expected 2"):
        load_csv(ragged)
    dupes = write(tmp_path / "dupes.csv", "a,b,a\n1,2,3\n")
    with pytest.raises(DriftInputError, match=r"duplicate column name.*: a"):
        load_csv(dupes)


def test_all_nan_column_is_an_error_naming_column_and_side(tmp_path: Path) -> None:
    ref = write(tmp_path / "ref.csv", "a,b\n" + "".join(f"{i},{i}\n" for i in range(30)))
    cur = write(tmp_path / "cur.csv", "a,b\n" + "".join(f"{i},\n" for i in range(30)))
    with pytest.raises(
        DriftInputError, match=r"column 'b' has no usable values in the current data \(30 rows"
    ):
        run_drift(ref, cur)
    report = run_drift(ref, cur, skip_empty=True)
    assert [f.name for f in report.features] == ["a"]
    empty = [q for q in report.quality if q.check == "empty"]
    assert empty and empty[0].column == "b" and empty[0].severity == "drift"


def test_all_missing_text_and_infinite_columns() -> None:
    ref = {"t": ["a", "b", None] * 10, "x": [np.inf, -np.inf, np.nan] * 10, "ok": list(range(30))}
    cur = {"t": [None] * 30, "x": [1.0] * 30, "ok": list(range(30))}
    with pytest.raises(
        DriftInputError, match="column 't' has no usable values in the current data"
    ):
        run_drift(ref, cur, columns=["t"])
    with pytest.raises(
        DriftInputError, match="column 'x' has no usable values in the reference data"
    ):
        run_drift(ref, cur, columns=["x"])


def test_mismatched_schemas(tmp_path: Path) -> None:
    ref, cur = small_pair(tmp_path)
    other = write(tmp_path / "other.csv", "p,q\n1,2\n3,4\n")
    with pytest.raises(
        DriftInputError, match=r"mismatched schemas: .*share no column.*reference has a, b, c"
    ):
        run_drift(ref, other)
    with pytest.raises(
        DriftInputError, match=r"mismatched schemas: column\(s\) 'zzz' not in the reference"
    ):
        run_drift(ref, cur, columns=["a", "zzz"])
    with pytest.raises(DriftInputError, match=r"column\(s\) 'zzz' not in the reference"):
        run_drift(ref, cur, numerical=["a", "zzz"])
    extra = write(tmp_path / "extra.csv", "a,b,d\n" + "".join(f"{i},{i},{i}\n" for i in range(40)))
    report = run_drift(ref, extra)
    checks = {(q.check, q.column, q.severity) for q in report.quality}
    assert ("column_removed", "c", "drift") in checks
    assert ("column_added", "d", "warn") in checks
    assert [f.name for f in report.features] == ["a", "b"]
    with pytest.raises(DriftInputError, match=r"strict_schema is on\): c: column is missing"):
        run_drift(ref, extra, strict_schema=True)


def test_numeric_mapping_with_text_values_is_an_error(tmp_path: Path) -> None:
    ref, cur = small_pair(tmp_path)
    with pytest.raises(
        DriftInputError,
        match=r"column 'c' is tested as numerical but the reference data .* text values \(e\.g\. 'x0'",
    ):
        run_drift(ref, cur, numerical=["a", "c"])


def test_type_change_is_tested_as_categories_and_reported() -> None:
    ref = {"v": [1.0, 2.0, 3.0] * 20}
    cur = {"v": ["1", "2", "oops"] * 20}
    report = run_drift(ref, cur)
    feature = report.feature("v")
    assert feature.column_type == "cat" and feature.drifted
    change = [q for q in report.quality if q.check == "dtype_change"]
    assert change and change[0].details == {"reference": "numeric", "current": "text"}


def test_bad_options_are_clear_errors(tmp_path: Path) -> None:
    ref, cur = small_pair(tmp_path)
    with pytest.raises(DriftError, match=r"unknown drift test 'kstest'; allowed: ks, chisquare"):
        run_drift(ref, cur, method="kstest")
    with pytest.raises(DriftError, match=r"test 'ks' cannot be used on categorical column 'c'"):
        run_drift(ref, cur, per_column_method={"c": "ks"})
    with pytest.raises(
        DriftError, match="cat_method='wasserstein' cannot test categorical columns"
    ):
        DriftOptions(cat_method="wasserstein")
    with pytest.raises(DriftError, match=r"threshold must be > 0, got -1"):
        run_drift(ref, cur, threshold=-1)
    with pytest.raises(DriftError, match=r"per_column_threshold\['a'\] must be a finite number"):
        run_drift(ref, cur, per_column_threshold={"a": float("nan")})
    with pytest.raises(DriftError, match=r"drift_share must be in \(0, 1\]"):
        run_drift(ref, cur, drift_share=0)
    with pytest.raises(DriftError, match=r"unknown drift option.*: colums"):
        run_drift(ref, cur, colums=["a"])
    with pytest.raises(DriftError, match="listed as both numerical and categorical"):
        DriftOptions(numerical=["a"], categorical=["a"])
    with pytest.raises(DriftInputError, match="reference data must be a file path"):
        run_drift(42, cur)


def test_datetime_columns_are_skipped_or_refused() -> None:
    import datetime as dt

    days = [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(40)]
    ref = {"when": days, "x": list(range(40))}
    cur = {"when": days, "x": list(range(5, 45))}
    report = run_drift(ref, cur)
    assert [f.name for f in report.features] == ["x"]
    with pytest.raises(DriftInputError, match="column 'when' holds dates/times"):
        run_drift(ref, cur, columns=["when", "x"])


# ---------------------------------------------------------------------------------------
# other sources


def _bike_table_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    lines = path.read_text().splitlines()
    return lines[0].split(","), [line.split(",") for line in lines[1:]]


def test_sql_source_sqlite_gives_the_csv_result(tmp_path: Path) -> None:
    db = tmp_path / "bike.db"
    with sqlite3.connect(db) as conn:
        for table, path in (("ref", BIKE_REFERENCE), ("cur", BIKE_CURRENT)):
            header, rows = _bike_table_rows(path)
            cols = ", ".join(
                f"{h} {'TEXT' if h == 'dteday' else 'REAL' if h in ('temp', 'atemp', 'hum', 'windspeed') else 'INTEGER'}"
                for h in header
            )
            conn.execute(f"CREATE TABLE {table} ({cols})")
            conn.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(header))})", rows)
    url = f"sqlite:///{db}"
    select = ", ".join(BIKE_FEATURES)
    ref_src = DataSource.sql(f"SELECT {select} FROM ref", url=url)
    cur_src = DataSource.sql(
        f"SELECT {select} FROM cur WHERE dteday >= :start", url=url, params={"start": "2011-01-29"}
    )
    via_sql = run_drift(ref_src, cur_src)
    via_csv = run_drift(BIKE_REFERENCE, BIKE_CURRENT, columns=BIKE_FEATURES)
    assert via_sql.summary_dict() == via_csv.summary_dict()
    assert DataSource.from_dict(cur_src.to_dict()) == cur_src
    with pytest.raises(
        DriftInputError, match=r"SQL query on sqlite:///.*failed: no such table: nope"
    ):
        run_drift(DataSource.sql("SELECT * FROM nope", url=url), cur_src)


def test_sql_source_with_engine_and_bad_url(tmp_path: Path) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x REAL, c TEXT)")
        conn.exec_driver_sql(
            "INSERT INTO t VALUES " + ", ".join(f"({i / 3}, 'k{i % 4}')" for i in range(50))
        )
    source = DataSource.sql("SELECT x, c FROM t")  # no URL: the registry passes its engine
    with pytest.raises(DriftInputError, match="has no url; pass engine="):
        source.load()
    report = run_drift(source, source, engine=engine)
    assert not report.dataset_drift and {f.name for f in report.features} == {"x", "c"}
    with pytest.raises(DriftInputError, match="bad database URL"):
        DataSource.sql("SELECT 1", url="nodb://user:secret@host/db").load()


@pytest.mark.postgres
def test_sql_source_postgres() -> None:
    psycopg = pytest.importorskip("psycopg")
    try:
        psycopg.connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=test", connect_timeout=2
        ).close()
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL on 127.0.0.1:5432 (database test) is not reachable: {exc}")
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    query = "SELECT g::float8 / 10 AS x, (g % 3)::text AS c, g % 2 = 0 AS flag FROM generate_series(1, :n) AS g"
    ref = DataSource.sql(query, url=url, params={"n": 500})
    cur = DataSource.sql(query, url=url, params={"n": 800})
    report = run_drift(ref, cur)
    kinds = {f.name: (f.column_type, f.test) for f in report.features}
    assert kinds == {"x": ("num", "ks"), "c": ("cat", "chisquare"), "flag": ("cat", "z")}
    assert report.feature("x").drifted  # 0.1..50 vs 0.1..80


def test_parquet_source_gives_the_csv_result(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet", reason="Parquet support needs pyarrow")
    import pyarrow.csv as pacsv

    paths = []
    for src in (BIKE_REFERENCE, BIKE_CURRENT):
        out = tmp_path / (src.stem + ".parquet")
        pq.write_table(pacsv.read_csv(src), out)
        paths.append(out)
    via_parquet = run_drift(paths[0], paths[1], numerical=BIKE_FEATURES, categorical=[])
    via_csv = run_drift(BIKE_REFERENCE, BIKE_CURRENT, numerical=BIKE_FEATURES, categorical=[])
    assert via_parquet.summary_dict() == via_csv.summary_dict()
    assert DataSource.file(paths[0]).kind == "parquet"
    broken = write(tmp_path / "broken.parquet", "this is not parquet")
    with pytest.raises(DriftInputError, match=r"cannot read Parquet file .*broken\.parquet"):
        load_file(broken)


def test_parquet_without_pyarrow_says_how_to_enable_it(tmp_path: Path) -> None:
    """A Python where pyarrow cannot be imported (blocked in sys.modules) gets advice."""
    path = write(tmp_path / "x.parquet", "PAR1")
    code = (
        "import sys; sys.modules['pyarrow'] = None; sys.modules['pyarrow.parquet'] = None\n"
        "from tools.registry.drift import load_file, DriftInputError\n"
        f"try:\n    load_file({str(path)!r})\nexcept DriftInputError as exc:\n    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "needs the 'pyarrow' package" in done.stdout
    assert "pip install pyarrow" in done.stdout


def test_data_source_validation() -> None:
    with pytest.raises(
        DriftInputError, match=r"unknown data source kind 'xls'; allowed: csv, parquet, sql"
    ):
        DataSource(kind="xls", path="x")
    with pytest.raises(DriftInputError, match="a 'sql' data source needs a query"):
        DataSource(kind="sql")
    with pytest.raises(DriftInputError, match="unknown data source field"):
        DataSource.from_dict({"kind": "csv", "path": "a.csv", "pth": "b"})
    src = DataSource.file(BIKE_REFERENCE, columns=["temp"])
    assert DataSource.from_dict(src.to_dict()) == src
    assert src.load().names == ["temp"]


def test_in_memory_tables_and_lengths() -> None:
    with pytest.raises(DriftInputError, match="columns have different lengths"):
        Table.from_columns({"a": [1, 2, 3], "b": [1, 2]})
    table = Table.from_columns(
        {"n": np.arange(5), "s": np.array(["a", "b", "a", "c", "b"]), "o": [1, None, 3, 4, 5]}
    )
    assert [table[c].dtype for c in table.names] == ["numeric", "text", "numeric"]
    assert table["n"].integer and not table["o"].integer
