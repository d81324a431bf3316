"""Labelled text from files: reading ``(text, label)`` pairs out of a CSV export.

Several text columns may be concatenated (real exports carry a title and a detail column).
Raises :class:`~civicgrid.errors.Invalid` with a sentence naming the problem: a missing file,
a wrong encoding, missing columns.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from civicgrid.dispatch.normalise import join_fields
from civicgrid.errors import Invalid


def parse_text_columns(values: Iterable[str]) -> list[str]:
    """Column names from ``--text-col`` values; each may join several with ``+``.

    ``["title+detail"]`` and ``["title", "detail"]`` both give ``["title", "detail"]``.
    """
    columns = [part.strip() for value in values for part in value.split("+")]
    columns = [c for c in columns if c]
    if not columns:
        raise Invalid("至少需要指定一个文本列")
    return columns


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    """Turn the ways reading a CSV file fails into ``Invalid`` with a sentence."""
    try:
        yield
    except FileNotFoundError as exc:
        raise Invalid(f"找不到文件: {path}") from exc
    except IsADirectoryError as exc:
        raise Invalid(f"{path} 是目录，不是 CSV 文件") from exc
    except UnicodeDecodeError as exc:
        raise Invalid(f"文件 {path} 不是 UTF-8 编码，请另存为 UTF-8 后重试") from exc
    except csv.Error as exc:
        raise Invalid(f"文件 {path} 不是有效的 CSV: {exc}") from exc


def read_csv_pairs(
    path: Path, text_columns: Sequence[str], label_column: str
) -> list[tuple[str, str]]:
    """``(text, label)`` for every row of the UTF-8 CSV at ``path``.

    The text is the named columns joined with a space, empty cells skipped. Rows are returned
    as they are (blank labels included); training and evaluation skip what they cannot use.
    """
    with _reading(path), path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames or [])
        missing = [c for c in [*text_columns, label_column] if c not in header]
        if missing:
            raise Invalid(
                f"CSV 文件 {path} 缺少列: {', '.join(missing)}"
                f"（现有列: {', '.join(header) or '无'}）"
            )
        return [
            (
                join_fields([row.get(c) or "" for c in text_columns]),
                (row.get(label_column) or "").strip(),
            )
            for row in reader
        ]


def read_catalogue_terms(path: Path) -> tuple[tuple[str, str], ...]:
    """Catalogue-term features (:func:`~civicgrid.dispatch.features.catalogue_terms`) from
    the UTF-8 CSV at ``path``: after a header row, each row is a label and the names of the
    catalogue items under it (e.g. ``一级分类,二级分类,三级分类``)."""
    from civicgrid.dispatch.features import catalogue_terms

    with _reading(path), path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    terms = catalogue_terms((row[0], name) for row in rows if row for name in row[1:])
    if not terms:
        raise Invalid(f"文件 {path} 中没有可用的目录名称（第一列为类别，其后各列为名称）")
    return terms
