"""Diagnose the texts of a Spark DataFrame where they live: ``annotate`` and ``summarize``.

Install with the ``spark`` extra (``pip install "fixbook[spark]"``), then::

    from fixbook.spark import annotate, summarize

    tickets = spark.read.parquet("tickets.parquet")
    annotated = annotate(tickets, "body", packs=["./packs/acme"])
    print(summarize(annotated))

``annotate`` runs ``Engine.diagnose_arrow`` on the Arrow batches Spark hands to
``mapInArrow``: no Python object per row. Each Python worker builds its engine once, after
the fork, the first time it sees a batch, and keeps it for the batches that follow (for as
long as Spark keeps the worker; see ``spark.python.worker.reuse`` in docs/spark.md). No
engine is ever pickled: what travels to the workers is a small description of the packs.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

import pyarrow as pa  # type: ignore[import-untyped]
from pyspark import SparkFiles
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from . import Engine

__all__ = [
    "EntryCount",
    "PackSpec",
    "RESULT_FIELDS",
    "Summary",
    "annotate",
    "pack_archive",
    "summarize",
]

PackArg = Union[str, "os.PathLike[str]", bytes]
"""A pack folder (or folder of packs) on the driver, or the bytes of ``pack_archive``."""

SPARK_FILES_SCHEME = "sparkfiles:"
"""``packs=["sparkfiles:NAME"]``: a folder or ``.zip`` already shipped with ``--files``,
``--archives`` or ``SparkContext.addFile``, found on the workers with ``SparkFiles.get``."""

RESULT_FIELDS = ("id", "title", "confidence", "questions", "diagnosis", "error")
"""The columns ``annotate`` adds, after the prefix (``fixbook_id``, ...)."""

_TEXT_TMP = "__fixbook_text"
_FACTS_TMP = "__fixbook_facts"
_META_TEXT_COL = "fixbook.text_col"


@dataclass(frozen=True)
class PackSpec:
    """What a worker needs to build its engine; small and picklable (never an engine).

    ``sources`` holds, per pack source, ``("sparkfiles", name)`` (resolved on the worker
    with ``SparkFiles.get``) or ``("archive", zip bytes)``. ``signature`` changes when the
    packs' content changes; workers rebuild their engine only then.
    """

    builtin: bool
    sources: tuple[tuple[str, Any], ...]
    signature: str


@dataclass(frozen=True)
class EntryCount:
    """How many rows an entry was the best match of."""

    id: str
    title: str
    count: int


@dataclass(frozen=True)
class Summary:
    """What a history says: ``summarize(annotate(df, ...))``."""

    rows: int
    """Rows in the annotated DataFrame."""
    matched: int
    """Rows whose text matched a known problem."""
    unmatched: int
    """Rows with a text that matched nothing (not counting null texts and errors)."""
    errors: int
    """Rows that could not be diagnosed (``fixbook_error`` set: invalid facts, ...)."""
    null_texts: int
    """Rows whose text was null."""
    entries: list[EntryCount] = field(default_factory=list)
    """Best-match counts per entry, most frequent first."""
    top_unmatched: list[tuple[str, int]] = field(default_factory=list)
    """The most frequent texts that matched nothing (first 200 characters), with counts."""

    @property
    def share_unmatched(self) -> float:
        """Unmatched rows over rows with a text (0.0 for no such rows)."""
        with_text = self.rows - self.null_texts
        return self.unmatched / with_text if with_text else 0.0

    def __str__(self) -> str:
        lines = [
            f"{self.rows} rows: {self.matched} matched, {self.unmatched} unmatched "
            f"({self.share_unmatched:.1%}), {self.errors} errors, {self.null_texts} null texts",
        ]
        if self.entries:
            lines.append("best match per entry:")
            lines += [f"  {e.count:>9}  {e.id}  {e.title}" for e in self.entries]
        if self.top_unmatched:
            lines.append("most frequent unmatched texts:")
            lines += [f"  {n:>9}  {t!r}" for t, n in self.top_unmatched]
        return "\n".join(lines)


def pack_archive(*dirs: str | os.PathLike[str]) -> bytes:
    """The pack folders ``dirs`` as zip bytes, for ``annotate(df, col, packs=[bytes])``.

    Each folder becomes a top-level folder of the archive (named as on disk), so the
    archive holds the same packs as the folders.
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for d in dirs:
            root = Path(d)
            for p in sorted(root.rglob("*")):
                if p.is_file():
                    z.write(p, Path(root.name) / p.relative_to(root))
    return buf.getvalue()


def annotate(
    df: DataFrame,
    text_col: str,
    *,
    packs: PackArg | Sequence[PackArg] | None = None,
    builtin: bool = True,
    limit: int = 3,
    facts_col: str | None = None,
    prefix: str = "fixbook_",
) -> DataFrame:
    """``df`` with the diagnosis of ``text_col`` in new columns, computed on the workers.

    Adds (with ``prefix``): ``id`` (string; the best match's ``pack/entry``, null when
    nothing matched), ``title``, ``confidence`` (double), ``questions`` (the fact the first
    question asks for, or null), ``diagnosis`` (the whole answer as the engine's JSON, the
    shape of ``fixbook search --json``) and ``error`` (null, or why this row could not be
    diagnosed). A row never fails the job: null texts give null columns, a bad facts value
    gives that row an ``error``.

    Args:
        df: any DataFrame.
        text_col: a string or binary column (tickets, error strings, log lines).
        packs: pack folders on the driver (shipped to the workers with
            ``SparkContext.addFile``), ``"sparkfiles:NAME"`` for a folder or zip shipped
            already (``--files``/``--archives``), or the bytes of ``pack_archive``.
        builtin: also load the packs embedded in fixbook.
        limit: the most matches kept in ``diagnosis``.
        facts_col: a column of known facts per row: a map (``map<string, ...>``), a struct
            or a JSON-object string.
        prefix: the new columns' prefix.

    Raises:
        PackError: a pack folder on the driver does not load (checked before the job runs).
        TypeError: ``text_col`` or ``facts_col`` has an unsupported type.
        ValueError: a new column's name is taken already.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ValueError(f"limit must be an int >= 0, got {limit!r}")
    spec = _pack_spec(df, packs, builtin)
    fields = {f.name: f for f in df.schema.fields}
    if text_col not in fields:
        raise ValueError(f"no column {text_col!r} in the DataFrame (columns: {df.columns})")
    if not isinstance(fields[text_col].dataType, (T.StringType, T.BinaryType)):
        raise TypeError(
            f"column {text_col!r} is {fields[text_col].dataType.simpleString()}: "
            "annotate needs a string or binary column (cast it first)"
        )
    names = [prefix + f for f in RESULT_FIELDS]
    taken = [n for n in names if n in fields]
    if taken:
        raise ValueError(f"columns {taken} exist already: choose another prefix")

    columns: list[Column | str] = [F.col(c) for c in df.columns]
    columns.append(F.col(text_col).alias(_TEXT_TMP))
    with_facts = facts_col is not None
    if facts_col is not None:
        if facts_col not in fields:
            raise ValueError(f"no column {facts_col!r} in the DataFrame")
        ftype = fields[facts_col].dataType
        if isinstance(ftype, T.StringType):
            columns.append(F.col(facts_col).alias(_FACTS_TMP))
        elif isinstance(ftype, (T.MapType, T.StructType)):
            columns.append(F.to_json(F.col(facts_col)).alias(_FACTS_TMP))
        else:
            raise TypeError(
                f"facts column {facts_col!r} is {ftype.simpleString()}: use a map, a struct "
                "or a JSON string"
            )
    source = df.select(*columns)

    meta = {_META_TEXT_COL: text_col}
    out_schema = T.StructType(
        list(df.schema.fields)
        + [
            T.StructField(names[0], T.StringType(), True, meta),
            T.StructField(names[1], T.StringType(), True),
            T.StructField(names[2], T.DoubleType(), True),
            T.StructField(names[3], T.StringType(), True),
            T.StructField(names[4], T.StringType(), True),
            T.StructField(names[5], T.StringType(), True),
        ]
    )
    keep = len(df.columns)

    def run(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        return _annotate_batches(batches, spec, keep, with_facts, limit, names)

    return source.mapInArrow(run, out_schema)


def summarize(
    annotated: DataFrame,
    text_col: str | None = None,
    *,
    prefix: str = "fixbook_",
    top: int = 20,
) -> Summary:
    """Counts per entry, the share unmatched and the most frequent unmatched texts.

    ``annotated`` is what ``annotate`` returned (or a DataFrame read back from it); the text
    column is found from ``annotate``'s column metadata unless ``text_col`` names it.
    Runs two Spark jobs (one aggregation, one top-``top`` of unmatched texts).
    """
    id_col, title_col, err_col = prefix + "id", prefix + "title", prefix + "error"
    fields = {f.name: f for f in annotated.schema.fields}
    if id_col not in fields:
        raise ValueError(f"no column {id_col!r}: pass what annotate() returned")
    if text_col is None:
        text_col = fields[id_col].metadata.get(_META_TEXT_COL)
        if text_col is None:
            raise ValueError("the text column is unknown: pass text_col=")
    counts = (
        annotated.groupBy(
            F.col(id_col).alias("id"),
            F.col(title_col).alias("title"),
            F.col(err_col).isNotNull().alias("failed"),
            F.col(text_col).isNull().alias("null_text"),
        )
        .count()
        .collect()
    )
    rows = matched = unmatched = errors = null_texts = 0
    entries: dict[str, EntryCount] = {}
    for r in counts:
        n = int(r["count"])
        rows += n
        if r["null_text"]:
            null_texts += n
        elif r["failed"]:
            errors += n
        elif r["id"] is None:
            unmatched += n
        else:
            matched += n
            prev = entries.get(r["id"])
            entries[r["id"]] = EntryCount(r["id"], r["title"], n + (prev.count if prev else 0))
    text = F.col(text_col)
    if isinstance(fields[text_col].dataType, T.BinaryType):
        text = text.cast("string")
    top_rows = (
        annotated.where(F.col(id_col).isNull() & F.col(err_col).isNull() & text.isNotNull())
        .groupBy(F.substring(text, 1, 200).alias("text"))
        .count()
        .orderBy(F.desc("count"), F.asc("text"))
        .limit(top)
        .collect()
    )
    return Summary(
        rows=rows,
        matched=matched,
        unmatched=unmatched,
        errors=errors,
        null_texts=null_texts,
        entries=sorted(entries.values(), key=lambda e: (-e.count, e.id)),
        top_unmatched=[(r["text"], int(r["count"])) for r in top_rows],
    )


# --- driver side -----------------------------------------------------------------------


def _pack_spec(df: DataFrame, packs: PackArg | Sequence[PackArg] | None, builtin: bool) -> PackSpec:
    if packs is None:
        items: list[PackArg] = []
    elif isinstance(packs, (str, bytes, os.PathLike)):
        items = [packs]
    else:
        items = list(packs)
    sc = df.sparkSession.sparkContext
    sources: list[tuple[str, Any]] = []
    sig = hashlib.sha256(f"builtin={builtin}".encode())
    local_dirs: list[Path] = []
    for item in items:
        if isinstance(item, bytes):
            sources.append(("archive", item))
            sig.update(b"archive" + hashlib.sha256(item).digest())
        elif isinstance(item, str) and item.startswith(SPARK_FILES_SCHEME):
            name = item[len(SPARK_FILES_SCHEME) :]
            sources.append(("sparkfiles", name))
            sig.update(b"sparkfiles:" + name.encode())
        else:
            path = Path(item).resolve()
            if not path.is_dir():
                raise FileNotFoundError(2, "no such pack folder", str(path))
            _ship(sc, path)
            local_dirs.append(path)
            sources.append(("sparkfiles", path.name))
            sig.update(b"dir:" + path.name.encode() + _tree_digest(path))
    if local_dirs:
        # a broken pack fails here, on the driver, with file, line and column
        Engine(local_dirs, builtin=builtin, strict=True, pack_path=False)
    return PackSpec(builtin=builtin, sources=tuple(sources), signature=sig.hexdigest())


def _ship(sc: Any, path: Path) -> None:
    # addFile refuses a second folder of the same name; the same folder again is a no-op
    shipped = sc.__dict__.setdefault("_fixbook_shipped", {})
    prev = shipped.get(path.name)
    if prev is not None and prev != str(path):
        raise ValueError(
            f"a pack folder named {path.name!r} was shipped already from {prev}: "
            "Spark files are found by name, so give the folders different names"
        )
    if prev is None:
        sc.addFile(str(path), recursive=True)
        shipped[path.name] = str(path)


def _tree_digest(root: Path) -> bytes:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(root)).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.digest()


# --- worker side -----------------------------------------------------------------------

_ENGINES: dict[str, tuple[int, Engine]] = {}
_BUILDS = 0
"""Engines this process has built (for tests and diagnostics)."""
_MAX_ENGINES = 4


def _engine_for(spec: PackSpec) -> Engine:
    """This process's engine for ``spec``: built on first use, then reused.

    Keyed by the packs' signature and the process id: an engine (and its thread pool) made
    before a fork is never used after it.
    """
    global _BUILDS
    pid = os.getpid()
    hit = _ENGINES.get(spec.signature)
    if hit is not None and hit[0] == pid:
        return hit[1]
    dirs = [_resolve(kind, value) for kind, value in spec.sources]
    engine = Engine(dirs, builtin=spec.builtin, strict=True, pack_path=False)
    _BUILDS += 1
    if len(_ENGINES) >= _MAX_ENGINES:
        _ENGINES.pop(next(iter(_ENGINES)))
    _ENGINES[spec.signature] = (pid, engine)
    return engine


def _resolve(kind: str, value: Any) -> str:
    if kind == "archive":
        return _extract(value, hashlib.sha256(value).hexdigest()[:16])
    path = SparkFiles.get(value)
    if os.path.isfile(path) and zipfile.is_zipfile(path):
        with open(path, "rb") as f:
            data = f.read()
        return _extract(data, hashlib.sha256(data).hexdigest()[:16])
    return path


def _extract(data: bytes, digest: str) -> str:
    target = Path(tempfile.gettempdir()) / f"fixbook-packs-{digest}"
    if not target.is_dir():
        tmp = Path(tempfile.mkdtemp(prefix="fixbook-packs-"))
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            z.extractall(tmp)  # zipfile drops absolute paths and `..` parts
        try:
            tmp.rename(target)
        except OSError:
            pass  # another worker extracted the same archive first
    return str(target)


def _annotate_batches(
    batches: Iterable[pa.RecordBatch],
    spec: PackSpec,
    keep: int,
    with_facts: bool,
    limit: int,
    names: Sequence[str],
) -> Iterator[pa.RecordBatch]:
    """The ``mapInArrow`` function: the first ``keep`` columns, then the results."""
    engine: Engine | None = None
    for batch in batches:
        if engine is None:
            engine = _engine_for(spec)
        texts = batch.column(keep)
        facts = batch.column(keep + 1) if with_facts else None
        result = engine.diagnose_arrow(texts, facts, limit)
        columns = batch.columns[:keep] + [result.field(i) for i in range(len(RESULT_FIELDS))]
        out_names = batch.schema.names[:keep] + list(names)
        yield pa.RecordBatch.from_arrays(columns, names=out_names)
