"""read_table: encodings, delimiters, formats, and the DataErrors a user can hit."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from playground.data import detect_encoding, read_table
from playground.errors import DataError

CHINESE_ROWS = [
    ("1", "房间很大，床有两米宽，整体感觉经济实惠不错！"),
    ("0", "服务态度太差了，前台不理人，再也不会来了。"),
    ("1", "早餐丰富，位置方便，离地铁站很近。"),
    ("0", "隔音很差，晚上很吵，空调也坏了。"),
]


def _chinese_csv() -> str:
    return "label,review\n" + "".join(f"{label},{review}\n" for label, review in CHINESE_ROWS)


def test_reads_utf8_csv_as_strings(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("text,label\nhello there,1\n,0\n\"a, quoted\",2\n", encoding="utf-8")
    df = read_table(path)
    assert list(df.columns) == ["text", "label"]
    assert df["text"].tolist() == ["hello there", "", "a, quoted"]
    assert df["label"].tolist() == ["1", "0", "2"]  # numbers stay strings
    assert df.attrs["encoding"] == "utf-8"
    assert df.attrs["delimiter"] == ","
    assert df.attrs["format"] == "delimited"


def test_na_like_values_stay_as_typed(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("text,label\nNA,None\nnull,nan\n", encoding="utf-8")
    df = read_table(path)
    assert df.values.tolist() == [["NA", "None"], ["null", "nan"]]


def test_utf8_bom_is_removed_from_first_column_name(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("text,label\nbonjour,fr\n".encode("utf-8-sig"))
    df = read_table(path)
    assert list(df.columns) == ["text", "label"]
    assert df.attrs["encoding"] == "utf-8-sig"


def test_gbk_chinese_csv_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "hotel.csv"
    path.write_text(_chinese_csv(), encoding="gbk")
    df = read_table(path)
    assert df.attrs["encoding"] == "gb18030"
    assert list(df.columns) == ["label", "review"]
    assert df["review"].tolist() == [review for _, review in CHINESE_ROWS]


def test_detect_encoding() -> None:
    assert detect_encoding(b"plain ascii") == "utf-8"
    assert detect_encoding("中文".encode()) == "utf-8"
    assert detect_encoding("x".encode("utf-8-sig")) == "utf-8-sig"
    assert detect_encoding(_chinese_csv().encode("gbk")) == "gb18030"


def test_utf16_excel_unicode_text_export(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_text("text\tlabel\nhello\tgreeting\n", encoding="utf-16")
    df = read_table(path)
    assert df.values.tolist() == [["hello", "greeting"]]
    assert df.attrs["delimiter"] == "\t"


@pytest.mark.parametrize(("name", "sep"), [("data.tsv", "\t"), ("data.csv", ";"), ("data.txt", "|")])
def test_delimiters_are_sniffed(tmp_path: Path, name: str, sep: str) -> None:
    path = tmp_path / name
    rows = ["text", "label"], ["good, very good", "pos"], ["bad, quite bad", "neg"]
    path.write_text("\n".join(sep.join(r) for r in rows) + "\n", encoding="utf-8")
    df = read_table(path)
    assert df.attrs["delimiter"] == sep
    assert df.values.tolist() == [["good, very good", "pos"], ["bad, quite bad", "neg"]]


def test_column_names_are_stripped(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text(" text , label \na,b\n", encoding="utf-8")
    assert list(read_table(path).columns) == ["text", "label"]


def test_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "data.xlsx"
    pd.DataFrame({"text": ["one", "two", None], "label": [1, 2, 3]}).to_excel(path, index=False)
    df = read_table(path)
    assert df.attrs["format"] == "excel"
    assert df["text"].tolist() == ["one", "two", ""]
    assert df["label"].tolist() == ["1", "2", "3"]


def test_xlsx_with_csv_extension_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "renamed.csv"
    pd.DataFrame({"text": ["one"], "label": ["a"]}).to_excel(path, index=False, engine="openpyxl")
    assert read_table(path).values.tolist() == [["one", "a"]]


def test_jsonl_and_json_array(tmp_path: Path) -> None:
    records = [{"text": "hi", "label": 1}, {"text": "yo", "label": None, "extra": True}]
    jsonl = tmp_path / "data.jsonl"
    jsonl.write_text("\n".join(json.dumps(r) for r in records) + "\n\n", encoding="utf-8")
    df = read_table(jsonl)
    assert df.attrs["format"] == "jsonl"
    assert list(df.columns) == ["text", "label", "extra"]
    assert df.values.tolist() == [["hi", "1", ""], ["yo", "", "true"]]

    array = tmp_path / "data.json"
    array.write_text(json.dumps(records), encoding="utf-8")
    assert read_table(array).values.tolist() == df.values.tolist()


def test_bad_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text('{"text": "ok"}\n{broken\n', encoding="utf-8")
    with pytest.raises(DataError, match="not a table"):
        read_table(path)


def test_blank_rows_are_left_out(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("text,label\na,1\n,\n  , \nb,2\n", encoding="utf-8")
    df = read_table(path)
    assert df["text"].tolist() == ["a", "b"]
    assert df.attrs["blank_rows"] == 2


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="nope.csv was not found") as info:
        read_table(tmp_path / "nope.csv")
    assert info.value.hint


def test_too_large(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("text,label\n" + "some text,1\n" * 200_000, encoding="utf-8")
    with pytest.raises(DataError, match=r"more than the 1 MB limit"):
        read_table(path, max_bytes=1024 * 1024)


@pytest.mark.parametrize("content", [b"", b"  \n\r\n\t "])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(DataError, match="empty.csv is empty"):
        read_table(path)


def test_png_is_not_a_table(tmp_path: Path) -> None:
    path = tmp_path / "picture.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(64))
    with pytest.raises(DataError) as info:
        read_table(path)
    assert info.value.message == "This file is not a table: picture.csv is a PNG image."
    assert "Save it as CSV" in info.value.hint


def test_binary_with_nul_bytes_is_not_a_table(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(b"text,label\x00\x01\x02" * 10)
    with pytest.raises(DataError, match="contains binary data"):
        read_table(path)


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(DataError, match="not a table.*could not be opened as an Excel workbook"):
        read_table(path)


def test_ragged_rows_are_not_a_table(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("text,label\na,1\nb,2,3,4\n", encoding="utf-8")
    with pytest.raises(DataError, match="could not be read as rows and columns"):
        read_table(path)


@pytest.mark.parametrize("name", ["header.csv", "header.xlsx"])
def test_header_only(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name.endswith(".csv"):
        path.write_text("text,label\n", encoding="utf-8")
    else:
        pd.DataFrame(columns=["text", "label"]).to_excel(path, index=False)
    with pytest.raises(DataError, match="has a header row but no data rows"):
        read_table(path)


def test_never_unpickles(tmp_path: Path) -> None:
    import pickle

    path = tmp_path / "data.pkl"
    path.write_bytes(pickle.dumps(pd.DataFrame({"text": ["a"], "label": ["b"]})))
    with pytest.raises(DataError, match="not a table"):
        read_table(path)
