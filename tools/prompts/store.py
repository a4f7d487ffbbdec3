"""The prompt registry service: every operation on prompts, versions and labels.

Concurrency: every change to a prompt (new version, label move, delete) first bumps the
prompt row's `revision` with a compare-and-set UPDATE (`... WHERE revision = <read>`). The
change that loses the race rolls back, re-reads and re-checks its preconditions. A label move
always carries the version it expects the label to hold (given by the preview, or pinned at
the first read), so of two concurrent moves of one label exactly one wins; the other is
refused with a clear message and changes nothing. The same `revision` lets servers revalidate
their caches with one indexed read (see `serving.py`).

`PromptStore` is assembled from one part per job, each in its own module:

- `store_base.py`  the engine, change listeners, row reads, reference resolution, the CAS bump
- `queries.py`     reads: names, summaries, versions, resolve/get/render, diff, label history
- `versioning.py`  creating versions (and a prompt on its first version)
- `labels.py`      label plans (the approver's dry run) and label moves and rollbacks
- `deletion.py`    soft deletes of versions and prompts
- `transfer.py`    export and all-or-nothing import of whole prompts as documents
- `views.py`       what the store hands out (versions, summaries, changes, plans, documents)
"""

from __future__ import annotations

from tools.prompts.deletion import Deletion
from tools.prompts.labels import LabelMoves
from tools.prompts.transfer import DocTransfer
from tools.prompts.versioning import VersionCreation


class PromptStore(VersionCreation, LabelMoves, Deletion, DocTransfer):
    """All operations of the prompt registry, on one SQLAlchemy engine."""


__all__ = ["PromptStore"]
