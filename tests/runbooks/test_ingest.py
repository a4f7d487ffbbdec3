"""Incremental ingest into a real Chroma directory: added, unchanged, updated, removed,
skipped with reasons; another process's view follows. Uses the model-free embedding."""

from __future__ import annotations

import os
from pathlib import Path

from tests.runbooks.conftest import CPU, DISK
from tools.runbooks.index import RunbookIndex


def _reasons(report) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {s.source: s.reason for s in report.skipped}


def test_first_ingest_then_unchanged_files_are_skipped(
    write_tree, hashing_index: RunbookIndex
) -> None:
    root = write_tree({"disk.md": DISK, "cpu/hot.md": CPU})
    first = hashing_index.ingest([root], progress=False)
    assert sorted(first.added) == ["runbooks/cpu/hot.md", "runbooks/disk.md"]
    assert first.chunks_written == 4 and first.passages_written >= 4
    assert hashing_index.count() == 4
    assert hashing_index.sources() == ["runbooks/cpu/hot.md", "runbooks/disk.md"]

    again = hashing_index.ingest([root], progress=False)
    assert sorted(again.unchanged) == ["runbooks/cpu/hot.md", "runbooks/disk.md"]
    assert not again.added and not again.updated and not again.removed
    assert again.chunks_written == 0
    assert "2 unchanged" in again.summary()


def test_changed_file_is_updated_and_old_text_is_gone(
    write_tree, hashing_index: RunbookIndex
) -> None:
    root = write_tree({"disk.md": DISK})
    hashing_index.ingest([root], progress=False)
    (root / "disk.md").write_text(
        DISK.replace("Remove old archives", "Compress the zebra archives")
    )
    report = hashing_index.ingest([root], progress=False)
    assert report.updated == ["runbooks/disk.md"]
    assert hashing_index.count() == 2  # replaced, not duplicated
    hits = hashing_index.search("compress zebra archives", k=1)
    assert hits and "zebra" in hits[0].text
    assert all(
        "Remove old archives" not in h.text
        for h in hashing_index.search("remove old archives", k=3, include_weak=True)
    )


def test_deleted_file_is_removed(write_tree, hashing_index: RunbookIndex) -> None:
    root = write_tree({"disk.md": DISK, "cpu.md": CPU})
    hashing_index.ingest([root], progress=False)
    (root / "cpu.md").unlink()
    report = hashing_index.ingest([root], progress=False)
    assert report.removed == ["runbooks/cpu.md"]
    assert hashing_index.sources() == ["runbooks/disk.md"]
    assert hashing_index.for_alert("TestCpuHot") == []


def test_single_file_path_never_prunes_its_folder(write_tree, hashing_index: RunbookIndex) -> None:
    root = write_tree({"disk.md": DISK, "cpu.md": CPU})
    hashing_index.ingest([root], progress=False)
    report = hashing_index.ingest([root / "cpu.md"], progress=False)
    assert report.unchanged == ["runbooks/cpu.md"] and not report.removed
    assert len(hashing_index.sources()) == 2


def test_bad_files_are_reported_and_skipped_never_abort(
    write_tree, hashing_index: RunbookIndex
) -> None:
    root = write_tree(
        {
            "good.md": DISK,
            "empty.md": "",
            "blank.md": "   \n\n",
            "binary.md": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "latin1.md": "# Caf\xe9\n\nbody".encode("latin-1"),
            "bad-yaml.md": "---\ntitle: [oops\n---\n# T\n\ntext",
            "index/_index.md": "---\ntitle: section\nweight: 1\n---\n",
            "notes.txt": "not markdown, not picked up",
        }
    )
    os.symlink(root / "missing-target.md", root / "dangling.md")
    report = hashing_index.ingest([root, root.parent / "no-such-folder"], progress=False)
    assert report.added == ["runbooks/good.md"]
    reasons = _reasons(report)
    assert reasons["runbooks/empty.md"] == "empty file"
    assert reasons["runbooks/blank.md"] == "empty file"
    assert reasons["runbooks/binary.md"].startswith("binary file")
    assert reasons["runbooks/latin1.md"].startswith("not UTF-8 text (byte 0xe9")
    assert reasons["runbooks/bad-yaml.md"].startswith("invalid YAML front matter")
    assert reasons["runbooks/index/_index.md"] == "no text besides front matter and headings"
    assert reasons["runbooks/dangling.md"].startswith("unreadable")
    assert reasons[str(root.parent / "no-such-folder")] == "does not exist"
    assert "runbooks/notes.txt" not in reasons
    summary = report.summary()
    assert "1 added" in summary and "skipped: runbooks/binary.md: binary file" in summary


def test_a_file_turning_bad_keeps_its_previous_version(
    write_tree, hashing_index: RunbookIndex
) -> None:
    root = write_tree({"disk.md": DISK})
    hashing_index.ingest([root], progress=False)
    (root / "disk.md").write_text("---\ntitle: [broken\n---\n")
    report = hashing_index.ingest([root], progress=False)
    assert _reasons(report)["runbooks/disk.md"].endswith("(the previously indexed version is kept)")
    assert not report.removed
    assert hashing_index.for_alert("TestDiskFull")


def test_another_index_on_the_same_store_sees_changes(write_tree, tmp_path: Path, hashing) -> None:  # type: ignore[no-untyped-def]
    writer = RunbookIndex(tmp_path / "shared", embedding="hashing", embedder=hashing)
    reader = RunbookIndex(tmp_path / "shared", embedding="hashing", embedder=hashing)
    assert reader.is_empty()
    root = write_tree({"disk.md": DISK})
    writer.ingest([root], progress=False)
    assert reader.count() == 2  # the generation moved, so the reader rebuilt its view
    assert reader.search("TestDiskFull", k=1)[0].title == "Disk almost full"


def test_rebuild_drops_everything(write_tree, hashing_index: RunbookIndex) -> None:
    root = write_tree({"disk.md": DISK})
    hashing_index.ingest([root], progress=False)
    hashing_index.rebuild()
    assert hashing_index.is_empty()
    assert hashing_index.ingest([root], progress=False).added == ["runbooks/disk.md"]


def test_changing_the_embedding_uses_a_separate_collection(
    write_tree, tmp_path: Path, hashing
) -> None:  # type: ignore[no-untyped-def]
    root = write_tree({"disk.md": DISK})
    RunbookIndex(tmp_path / "d", embedding="hashing", embedder=hashing).ingest(
        [root], progress=False
    )

    class Other:
        name = "other-test"
        min_score = 0.2

        def embed(self, texts):  # type: ignore[no-untyped-def]
            return hashing.embed(texts)

    other = RunbookIndex(tmp_path / "d", embedding="hashing", embedder=Other())
    assert other.is_empty()  # vectors of another model never mix with these
    assert other.ingest([root], progress=False).added == ["runbooks/disk.md"]


def test_progress_bar_goes_to_stderr(write_tree, hashing_index: RunbookIndex, capsys) -> None:  # type: ignore[no-untyped-def]
    root = write_tree({"disk.md": DISK})
    hashing_index.ingest([root], progress=True)
    captured = capsys.readouterr()
    assert "ingest" in captured.err and "1/1" in captured.err
    assert captured.out == ""
