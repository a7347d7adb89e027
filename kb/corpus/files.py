"""Which files make a corpus: a file, or a folder's YAML files, each inside the folder and
regular files under the one size limit."""

from __future__ import annotations

from pathlib import Path

from kb.errors import CorpusError

# The largest seed file is 27 KB; 10 MB is a mistake, not a topic.
FILE_MAX_BYTES = 10 * 2**20
PROCESSES_FILE = "processes.yaml"


def corpus_files(path: str | Path) -> list[Path]:
    """The YAML files of a corpus: the file itself, or every *.yaml / *.yml in a folder."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
        if not files:
            raise CorpusError(str(path), None, None, "no .yaml files in this folder")
    elif not path.exists():
        raise CorpusError(str(path), None, None, "no such file or folder")
    else:
        files = [path]
    root = (path if path.is_dir() else path.parent).resolve()
    for file in files:
        inside(root, file)
        if not file.is_file():  # a FIFO or a device would be read forever
            raise CorpusError(str(file), None, None, "is not a regular file; refused")
        size = file.stat().st_size
        if size > FILE_MAX_BYTES:
            raise CorpusError(str(file), None, None, f"is {size} bytes; a corpus file may be "
                              f"{FILE_MAX_BYTES} at most (split the topic)")  # fmt: skip
    return files


def inside(root: Path, file: Path) -> None:
    """Refuse a file that resolves outside the corpus folder (a symlink pointing elsewhere)."""
    if not file.resolve().is_relative_to(root):
        raise CorpusError(str(file), None, None, f"points outside {root}; refused")
