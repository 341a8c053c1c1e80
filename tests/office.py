"""LibreOffice headless (Debian's libreoffice-calc-nogui) as a test instrument:
convert a file to flat ODS and read back each cell's type, value and shown text,
the way a person opening the file in LibreOffice Calc would see it."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

SOFFICE = shutil.which("soffice") or "/usr/bin/soffice"
NS = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
}
# A CSV read the way Swedish LibreOffice reads one: ";" between fields, '"' quotes,
# UTF-8 (76), from line 1, language sv-SE (1053) for numbers and dates.
SWEDISH_CSV = "CSV:59,34,76,1,,1053"


@dataclass(frozen=True)
class Cell:
    type: str  # string, float, percentage, date, ... or "" for an empty cell
    value: str  # office:value or office:date-value ("" for text)
    text: str  # what the cell shows


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


def _sheets(path: Path) -> dict[str, list[list[Cell]]]:
    root = ET.parse(path).getroot()  # noqa: S314 - LibreOffice's own output of our file
    sheets: dict[str, list[list[Cell]]] = {}
    for table in root.iter(_q("table", "table")):
        rows: list[list[Cell]] = []
        for row in table.iter(_q("table", "table-row")):
            cells: list[Cell] = []
            for cell in row.findall("table:table-cell", NS):
                kind = cell.get(_q("office", "value-type"), "")
                value = (
                    cell.get(_q("office", "value")) or cell.get(_q("office", "date-value")) or ""
                )
                text = "\n".join("".join(p.itertext()) for p in cell.findall("text:p", NS))
                repeat = int(cell.get(_q("table", "number-columns-repeated"), "1"))
                cells.extend([Cell(kind, value, text)] * min(repeat, 1024))
            while cells and not cells[-1].type:
                cells.pop()
            if cells:
                rows.append(cells)
        sheets[table.get(_q("table", "name"), "")] = rows
    return sheets


def open_in_libreoffice(
    files: dict[str, bytes], *, infilter: str | None = None
) -> dict[str, dict[str, list[list[Cell]]]]:
    """Each file (name → content) as LibreOffice Calc reads it: sheet → rows of cells.
    One soffice run for all of them, with a throwaway profile so runs in parallel
    do not share (and lock) one."""
    with tempfile.TemporaryDirectory(prefix="gvi-lo-") as tmp:
        work = Path(tmp)
        for name, content in files.items():
            (work / name).write_bytes(content)
        command = [
            SOFFICE,
            "--headless",
            "--norestore",
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            *([f"--infilter={infilter}"] if infilter else []),
            "--convert-to",
            "fods",
            "--outdir",
            str(work / "out"),
            *(str(work / name) for name in files),
        ]
        subprocess.run(command, check=True, capture_output=True, timeout=120)
        return {name: _sheets(work / "out" / (Path(name).stem + ".fods")) for name in files}
