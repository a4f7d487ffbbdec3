"""Export and import of whole prompts as documents (the YAML files of yamlio.py): every
version, its labels and metadata out; validated, all-or-nothing additions in."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.clock import utcnow
from tools.prompts.errors import PromptConflict, PromptError
from tools.prompts.queries import PromptQueries
from tools.prompts.store_base import check_tags, template_of
from tools.prompts.tables import Prompt, PromptLabel, PromptLabelChange, PromptVersion
from tools.prompts.templates import check_label, check_message, check_name, content_hash, validate
from tools.prompts.views import ImportReport, PromptDoc, VersionDoc


class DocTransfer(PromptQueries):  # exports read `names()`
    """`export_docs`, `check_doc` and `import_docs`."""

    def export_docs(self, names: Iterable[str] | None = None) -> list[PromptDoc]:
        """Every version (deleted ones marked), labels and metadata of the named prompts."""
        wanted = list(names) if names is not None else list(self.names())
        docs = []
        with self._session() as db:
            for name in wanted:
                loaded = self._load(db, check_name(name))
                prompt = loaded.prompt
                versions = [
                    VersionDoc(
                        version=r.version,
                        kind=r.kind,  # type: ignore[arg-type]
                        template=template_of(r),
                        config=dict(r.config),
                        message=r.message,
                        author=r.author,
                        created_at=r.created_at,
                        sha256=r.sha256,
                        variables=list(r.variables),
                        deleted_at=r.deleted_at,
                        deleted_by=r.deleted_by,
                    )
                    for r in loaded.rows
                ]
                docs.append(
                    PromptDoc(
                        name=prompt.name,
                        description=prompt.description,
                        tags=list(prompt.tags),
                        created_by=prompt.created_by,
                        created_at=prompt.created_at,
                        labels={k: v.version for k, v in sorted(loaded.labels.items())},
                        versions=versions,
                    )
                )
        return docs

    def check_doc(self, doc: PromptDoc) -> PromptDoc:
        """Validate a prompt read from a file exactly as a new version would be validated."""
        where = f"prompt {doc.name!r}"
        check_name(doc.name)
        check_tags(doc.tags)
        if not doc.versions:
            raise PromptError(f"{where} has no versions")
        numbers: set[int] = set()
        digests: dict[str, int] = {}
        for v in doc.versions:
            at = f"{where} v{v.version}"
            if not isinstance(v.version, int) or isinstance(v.version, bool) or v.version < 1:
                raise PromptError(f"{where}: version {v.version!r} must be a number from 1")
            if v.version in numbers:
                raise PromptError(f"{where}: version {v.version} appears twice")
            numbers.add(v.version)
            try:
                kind, content, variables, cfg = validate(v.template, v.config, self.max_chars)
                v.message = check_message(v.message)
            except PromptError as exc:
                raise PromptError(f"{at}: {exc}") from None
            if kind != v.kind:
                raise PromptError(f"{at}: type says {v.kind} but the template is {kind}")
            digest = content_hash(kind, content, cfg)
            if v.sha256 and v.sha256 != digest:
                raise PromptError(
                    f"{at}: sha256 does not match its content (was the template edited? "
                    "versions are immutable: add a new version instead)"
                )
            if digest in digests:
                raise PromptError(f"{at} has the same content as v{digests[digest]}")
            digests[digest] = v.version
            if not isinstance(v.author, str) or not v.author.strip() or len(v.author) > 200:
                raise PromptError(f"{at}: author must be 1-200 characters")
            v.template, v.config, v.sha256, v.variables = content, cfg, digest, variables
        live = {v.version for v in doc.versions if v.deleted_at is None}
        labels = {}
        for label, number in doc.labels.items():
            key = check_label(label)
            if number not in live:
                raise PromptError(
                    f"{where}: label {key} points to v{number}, which is not a version in the file"
                    " (or is deleted)"
                )
            labels[key] = number
        doc.labels = labels
        doc.versions.sort(key=lambda v: v.version)
        return doc

    def import_docs(
        self, docs: list[PromptDoc], *, actor: str, source: str, kind: str = "import"
    ) -> ImportReport:
        """Add prompts and versions from files, all or nothing.

        New prompts get their versions and labels as in the file. For existing prompts,
        versions already present must be identical (versions are immutable), new versions are
        appended with their numbers, authors and dates, and labels are never moved: moving a
        label needs an approval, so differences are reported instead.
        """
        seen: set[str] = set()
        for doc in docs:
            if doc.name in seen:
                raise PromptError(f"prompt {doc.name!r} appears twice in the import")
            seen.add(doc.name)
            self.check_doc(doc)
        report = ImportReport()
        now = utcnow()
        with self._session() as db:
            try:
                for doc in docs:
                    self._import_one(
                        db, doc, actor=actor, source=source, kind=kind, now=now, report=report
                    )
                db.commit()
            except IntegrityError as exc:
                db.rollback()
                raise PromptConflict(
                    "the registry changed while importing; nothing was imported, try again"
                ) from exc
        for doc in docs:
            self._changed(doc.name)
        return report

    def _import_one(
        self,
        db: Session,
        doc: PromptDoc,
        *,
        actor: str,
        source: str,
        kind: str,
        now: datetime,
        report: ImportReport,
    ) -> None:
        """One prompt of an import: a new prompt exactly as in the file, or the file's new
        versions appended to an existing prompt (whose labels are compared, never moved)."""
        prompt = db.exec(select(Prompt).where(Prompt.name == doc.name)).first()
        if prompt is not None and prompt.deleted_at is not None:
            raise PromptConflict(f"prompt {doc.name!r} was deleted here; nothing was imported")
        if prompt is None:
            self._import_new(db, doc, actor=actor, source=source, kind=kind, now=now)
            report.prompts_created.append(doc.name)
            return  # (a new prompt has no versions to compare, so nothing to note)
        existing = {r.version: r for r in self._all_versions(db, prompt)}
        added = self._add_versions(db, prompt, doc, existing, report)
        changed_meta = prompt.description != doc.description or list(prompt.tags) != list(doc.tags)
        self._note_label_differences(db, prompt, doc, report)
        if added or changed_meta:
            if not self._bump(db, prompt, now):
                raise PromptConflict(
                    f"{doc.name} changed while importing; nothing was imported, try again"
                )
            if changed_meta:
                db.execute(
                    update(Prompt)
                    .where(col(Prompt.id) == prompt.id)
                    .values(description=doc.description, tags=list(doc.tags))
                )
        else:
            report.unchanged.append(doc.name)
        report.versions_added.extend(added)

    def _import_new(
        self,
        db: Session,
        doc: PromptDoc,
        *,
        actor: str,
        source: str,
        kind: str,
        now: datetime,
    ) -> None:
        """A prompt the registry does not have: its row, its versions and its labels as in
        the file (each label's creation recorded in the history), at revision 1."""
        prompt = Prompt(
            name=doc.name,
            description=doc.description,
            tags=list(doc.tags),
            created_by=doc.created_by or actor,
            created_at=doc.created_at,
            updated_at=now,
            revision=0,
        )
        db.add(prompt)
        db.flush()
        self._add_versions(db, prompt, doc, {}, ImportReport())  # nothing to compare with
        db.flush()
        for label, number in sorted(doc.labels.items()):
            db.add(
                PromptLabel(
                    prompt_id=prompt.id,  # type: ignore[arg-type]
                    label=label,
                    version=number,
                    revision=1,
                    updated_at=now,
                    updated_by=actor,
                )
            )
            db.add(
                PromptLabelChange(
                    prompt_id=prompt.id,  # type: ignore[arg-type]
                    label=label,
                    from_version=None,
                    to_version=number,
                    kind=kind,
                    actor=actor,
                    reason=f"{'seeded' if kind == 'seed' else 'imported'} from {source}",
                    at=now,
                )
            )
        db.execute(update(Prompt).where(col(Prompt.id) == prompt.id).values(revision=1))

    @staticmethod
    def _add_versions(
        db: Session,
        prompt: Prompt,
        doc: PromptDoc,
        existing: dict[int, PromptVersion],
        report: ImportReport,
    ) -> list[str]:
        """Add the file's versions the registry lacks ("name vN" of each); versions it has
        must be identical, and new ones must come after its newest."""
        top = max(existing, default=0)
        by_digest = {r.sha256: r.version for r in existing.values()}
        added = []
        for v in doc.versions:
            have = existing.get(v.version)
            if have is not None:
                if have.sha256 != v.sha256:
                    raise PromptConflict(
                        f"{doc.name} v{v.version} differs from the registry's v{v.version}; "
                        "versions are immutable, so nothing was imported (give the new content "
                        "a new version number)"
                    )
                if (have.deleted_at is None) != (v.deleted_at is None):
                    state = "deleted" if have.deleted_at else "not deleted"
                    report.notes.append(f"{doc.name} v{v.version} is {state} here; left as it is")
                continue
            if v.version <= top:
                raise PromptConflict(
                    f"{doc.name} v{v.version} is not in the registry but v{top} is: new versions "
                    "must come after the newest one; nothing was imported"
                )
            if v.sha256 in by_digest:
                raise PromptConflict(
                    f"{doc.name} v{v.version} has the same content as the registry's "
                    f"v{by_digest[v.sha256]}; nothing was imported"
                )
            db.add(
                PromptVersion(
                    prompt_id=prompt.id,  # type: ignore[arg-type]
                    version=v.version,
                    kind=v.kind,
                    template=v.template if v.kind == "text" else None,  # type: ignore[arg-type]
                    messages=v.template if v.kind == "chat" else None,  # type: ignore[arg-type]
                    variables=v.variables,
                    config=v.config,
                    message=v.message,
                    author=v.author,
                    sha256=v.sha256,
                    created_at=v.created_at,
                    deleted_at=v.deleted_at,
                    deleted_by=v.deleted_by,
                )
            )
            added.append(f"{doc.name} v{v.version}")
        return added

    def _note_label_differences(
        self, db: Session, prompt: Prompt, doc: PromptDoc, report: ImportReport
    ) -> None:
        """Labels of an existing prompt are not moved by an import (that needs an approval):
        each difference from the file becomes a note of the report."""
        here = {k: v.version for k, v in self._labels(db, prompt).items()}
        for label in sorted(set(here) | set(doc.labels)):
            if here.get(label) != doc.labels.get(label):
                mine = f"v{here[label]}" if label in here else "not set"
                theirs = f"v{doc.labels[label]}" if label in doc.labels else "not set"
                report.notes.append(
                    f"{doc.name}: label {label} is {mine} here and {theirs} in the file; "
                    "not moved (label moves need an approval: opsbot prompts label)"
                )
