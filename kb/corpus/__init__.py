"""The YAML corpus: the line-aware loader (lines), which files make a corpus (files), the
rules for files and for an editor's JSON (validate), and import and export (transfer)."""

from kb.corpus.transfer import export_corpus, import_corpus
from kb.corpus.validate import Corpus, case_from_data, entry_from_data, known_ids, read_corpus

__all__ = [
    "Corpus",
    "case_from_data",
    "entry_from_data",
    "export_corpus",
    "import_corpus",
    "known_ids",
    "read_corpus",
]
