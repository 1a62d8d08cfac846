"""Read a user's table (CSV, TSV, Excel, JSON lines) into a frame of strings.

Every cell comes back as a string and empty cells stay "" so that later checks see
exactly what the user typed. What went wrong is always a ``DataError`` with a hint;
how the file was read (format, encoding, delimiter) is left in ``df.attrs`` for reports.
Nothing here unpickles: a pickle can run code, and uploads come from anyone.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from pathlib import Path
from typing import Any

import pandas as pd

from playground import json_text
from playground.errors import DataError

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
SNIFF_BYTES = 64 * 1024
DELIMITERS = ",\t;|"
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
JSON_SUFFIXES = {".jsonl", ".ndjson", ".json"}

# Chinese Excel saves "CSV" in the Windows code page; gb18030 is the superset of
# gb2312, gbk and cp936, so it decodes whatever charset_normalizer thought it saw.
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "cp936", "hz"}

_SAVE_AS_TABLE = "Save it as CSV (comma-separated) or Excel and upload it again."
_JSON_HINT = 'Put one JSON object per line, such as {"text": "...", "label": "..."}, or save it as CSV.'
_SAVE_AS_TABLE_ZH = "请把它另存为 CSV（逗号分隔）或 Excel 后重新上传。"
_JSON_HINT_ZH = '请每行放一个 JSON 对象，例如 {"text": "...", "label": "..."}，或另存为 CSV。'
_CHECK_FILE_ZH = "请确认选对了文件。"

# Magic bytes of files people upload by mistake, so the message can say what it is.
_BINARY_KINDS = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\x80\x04", "a Python pickle"),
    (b"\x80\x05", "a Python pickle"),
)
_KINDS_ZH = {"a PNG image": "PNG 图片", "a JPEG image": "JPEG 图片", "a GIF image": "GIF 图片",
             "a PDF document": "PDF 文档", "a gzip archive": "gzip 压缩包",
             "a RAR archive": "RAR 压缩包", "a 7-Zip archive": "7-Zip 压缩包",
             "a Python pickle": "Python pickle 文件"}
_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0"  # old .xls (and .doc) files


def read_table(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> pd.DataFrame:
    """Read a table file into a DataFrame of strings, or raise a DataError that says why not.

    ``df.attrs`` gets ``format``, ``encoding``, ``delimiter`` (None where they do not
    apply), ``file_name`` and ``blank_rows`` (rows with every cell empty, left out).
    """
    path = Path(path)
    if path.is_dir():  # a command line's --data, given a folder
        raise DataError(f"{path.name} is a folder, not a file.",
                        "Give the path of a CSV, TSV, Excel or JSON lines file in it.",
                        zh=f"{path.name} 是文件夹，不是文件。请给出其中一个 CSV、TSV、Excel 或 "
                           "JSON lines 文件的路径。")
    if not path.is_file():
        raise DataError(
            f"The file {path.name} was not found.", "Check the file name, or upload the file again.",
            zh=f"找不到文件 {path.name}。请检查文件名，或重新上传该文件。",
        )
    size = path.stat().st_size
    if size > max_bytes:
        raise DataError(
            f"The file {path.name} is {size / 2**20:.1f} MB, "
            f"more than the {max_bytes / 2**20:g} MB limit.",
            "Remove the columns you do not need, or split the rows into smaller files.",
            zh=f"文件 {path.name} 有 {size / 2**20:.1f} MB，超过了 {max_bytes / 2**20:g} MB 的上限。"
               "请删去不需要的列，或把数据行拆成几个较小的文件。",
        )
    raw = path.read_bytes()
    if not raw.strip():
        raise DataError(f"The file {path.name} is empty.", "Check that you picked the right file.",
                        zh=f"文件 {path.name} 是空的。{_CHECK_FILE_ZH}")

    suffix = path.suffix.lower()
    # Trust the content over the extension: an Excel file renamed to .csv still reads.
    if raw.startswith(_ZIP_MAGIC) or raw.startswith(_OLE2_MAGIC) or suffix in EXCEL_SUFFIXES:
        df = _read_excel(raw, path.name)
        attrs: dict[str, Any] = {"format": "excel", "encoding": None, "delimiter": None}
    else:
        _refuse_binary(raw, path.name)
        encoding = detect_encoding(raw)
        text = raw.decode(encoding)
        if suffix in JSON_SUFFIXES:
            df, fmt = _read_json(text, path.name)
            attrs = {"format": fmt, "encoding": encoding, "delimiter": None}
        else:
            delimiter = sniff_delimiter(text, default="\t" if suffix == ".tsv" else ",")
            df = _read_delimited(text, delimiter, path.name)
            attrs = {"format": "delimited", "encoding": encoding, "delimiter": delimiter}

    df = _tidy(df, path.name)
    df.attrs.update(attrs, file_name=path.name)
    return df


def detect_encoding(raw: bytes) -> str:
    """Name the text encoding of ``raw``: BOMs first, then UTF-8, then charset_normalizer's guess."""
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's "Unicode text" export
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass

    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    candidates = []
    if best is not None:
        name = codecs.lookup(best.encoding).name
        candidates.append("gb18030" if name in _GB_FAMILY else name)
    candidates.append("gb18030")  # last resort for the most common non-UTF-8 exports here
    for encoding in candidates:
        try:
            raw.decode(encoding)
            return encoding
        except UnicodeDecodeError:
            continue
    raise DataError(
        "The characters in this file could not be read: its text encoding is not one we recognise.",
        "Open it in Excel or a text editor and save it again as 'CSV UTF-8'.",
        zh="无法读取该文件中的字符：它的文本编码无法识别。请用 Excel 或文本编辑器打开，"
           "再另存为“CSV UTF-8”。",
    )


def sniff_delimiter(text: str, default: str = ",") -> str:
    """Guess which of , TAB ; | separates the columns, looking at the first ~64 KB."""
    sample = text[:SNIFF_BYTES]
    if len(text) > SNIFF_BYTES and "\n" in sample:
        sample = sample[: sample.rfind("\n")]  # a cut-off last line confuses the sniffer
    header = sample.split("\n", 1)[0]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        delimiter = default
    # The sniffer sometimes picks a character that only occurs inside the text;
    # a real delimiter also separates the column names.
    if delimiter not in header:
        in_header = [d for d in DELIMITERS if d in header]
        delimiter = default if default in header or not in_header else in_header[0]
    return delimiter


def _refuse_binary(raw: bytes, name: str) -> None:
    """Raise when the bytes are clearly not text (an image, an archive, a pickle...)."""
    for magic, kind in _BINARY_KINDS:
        if raw.startswith(magic):
            raise DataError(f"This file is not a table: {name} is {kind}.", _SAVE_AS_TABLE,
                            zh=f"该文件不是表格：{name} 是{_KINDS_ZH[kind]}。{_SAVE_AS_TABLE_ZH}")
    head = raw[:SNIFF_BYTES]
    # UTF-16/32 text is full of NUL bytes, so only a file without such a BOM is judged by them.
    has_wide_bom = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if b"\x00" in head and not has_wide_bom:
        raise DataError(
            f"This file is not a table: {name} contains binary data, not text.", _SAVE_AS_TABLE,
            zh=f"该文件不是表格：{name} 含有二进制数据，不是文本。{_SAVE_AS_TABLE_ZH}",
        )


def _read_excel(raw: bytes, name: str) -> pd.DataFrame:
    """Read the first sheet of a workbook; anything that is not a workbook is not a table."""
    if raw.startswith(_OLE2_MAGIC):
        engine = None  # pandas picks xlrd for old .xls, which may not be installed
    elif raw.startswith(_ZIP_MAGIC):
        engine = "openpyxl"
    else:
        raise DataError(
            f"This file is not a table: {name} is named like Excel but is not a workbook.",
            _SAVE_AS_TABLE,
            zh=f"该文件不是表格：{name} 的名字像 Excel 文件，但它不是工作簿。{_SAVE_AS_TABLE_ZH}",
        )
    try:
        return pd.read_excel(
            io.BytesIO(raw), sheet_name=0, dtype=str, keep_default_na=False, engine=engine
        )
    except ImportError as exc:
        raise DataError(
            f"The old Excel format (.xls) of {name} cannot be read here.",
            "Open it in Excel and save it as .xlsx or as CSV UTF-8, then upload it again.",
            zh=f"这里无法读取 {name} 的旧版 Excel 格式（.xls）。请用 Excel 打开，"
               "另存为 .xlsx 或 CSV UTF-8，然后重新上传。",
        ) from exc
    except Exception as exc:  # openpyxl and zipfile raise many unrelated types for a bad file
        raise DataError(
            f"This file is not a table: {name} could not be opened as an Excel workbook ({exc}).",
            _SAVE_AS_TABLE,
            zh=f"该文件不是表格：{name} 无法作为 Excel 工作簿打开（{exc}）。{_SAVE_AS_TABLE_ZH}",
        ) from exc


def _read_json(text: str, name: str) -> tuple[pd.DataFrame, str]:
    """Read JSON lines (one object per line) or a JSON array of objects."""
    stripped = text.lstrip()
    try:
        if stripped.startswith("["):
            records, fmt = json_text.loads(stripped), "json"
        else:
            records = [json_text.loads(line) for line in text.splitlines() if line.strip()]
            fmt = "jsonl"
    except json.JSONDecodeError as exc:
        raise DataError(
            f"This file is not a table: {name} is not valid JSON lines ({exc.msg}).",
            _JSON_HINT,
            zh=f"该文件不是表格：{name} 不是有效的 JSON lines（{exc.msg}）。{_JSON_HINT_ZH}",
        ) from exc
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise DataError(
            f"This file is not a table: the JSON in {name} is not a list of objects.",
            _JSON_HINT,
            zh=f"该文件不是表格：{name} 中的 JSON 不是一组对象。{_JSON_HINT_ZH}",
        )
    columns: dict[str, None] = {}  # keeps first-seen order across records
    for record in records:
        columns.update(dict.fromkeys(record))
    rows = [[_json_cell(record.get(col)) for col in columns] for record in records]
    return pd.DataFrame(rows, columns=list(columns), dtype=str), fmt


def _json_cell(value: Any) -> str:
    """Turn one JSON value into the string a spreadsheet cell would show."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _read_delimited(text: str, delimiter: str, name: str) -> pd.DataFrame:
    try:
        return pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"The file {name} is empty.", "Check that you picked the right file.",
                        zh=f"文件 {name} 是空的。{_CHECK_FILE_ZH}") from exc
    except (pd.errors.ParserError, csv.Error, ValueError) as exc:
        raise DataError(
            f"This file is not a table: {name} could not be read as rows and columns ({exc}).",
            _SAVE_AS_TABLE,
            zh=f"该文件不是表格：{name} 无法按行和列读取（{exc}）。{_SAVE_AS_TABLE_ZH}",
        ) from exc


def _tidy(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """Strip column names, leave out rows with every cell empty, and insist on data rows."""
    if len(df.columns) == 0:
        raise DataError(f"The file {name} has no columns.", "Check that you picked the right file.",
                        zh=f"文件 {name} 没有任何列。{_CHECK_FILE_ZH}")
    df = df.rename(columns=lambda c: str(c).strip())
    # Excel leaves empty cells as missing values; make them "" like the text readers do.
    df = df.fillna("").astype(str)
    blank = (df.apply(lambda col: col.str.strip()) == "").all(axis=1)
    df = df.loc[~blank].reset_index(drop=True)
    df.attrs["blank_rows"] = int(blank.sum())
    if len(df) == 0:
        raise DataError(
            f"The table in {name} has a header row but no data rows.",
            "Add one row per example under the header, then upload the file again.",
            zh=f"{name} 中的表格只有表头，没有数据行。请在表头下每行添加一个样本，然后重新上传。",
        )
    return df
