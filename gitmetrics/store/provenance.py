"""Source provenance: which commit of a collected repository was measured.

This reads the collected repositories, not the store; it lives here because it is the
other place gitmetrics reads git.
"""

from __future__ import annotations

from pathlib import Path

from gitmetrics.snapshot import Source


def source_of(path: Path) -> Source | None:
    """HEAD commit, branch and dirty flag of the git repository containing ``path``.

    Untracked files (a freshly written coverage report, say) do not make it dirty.
    ``None`` when ``path`` is not inside a git repository.
    """
    from dulwich import porcelain
    from dulwich.errors import NotGitRepository
    from dulwich.refs import Ref
    from dulwich.repo import Repo

    try:
        repo = Repo.discover(str(path))
    except NotGitRepository:
        return None
    try:
        try:
            head = repo.refs[Ref(b"HEAD")].decode()
        except KeyError:
            return Source(commit=None, branch=None, dirty=False)
        target = repo.refs.get_symrefs().get(Ref(b"HEAD"))
        branch = None
        if target is not None and target.startswith(b"refs/heads/"):
            branch = target[len(b"refs/heads/") :].decode()
        status = porcelain.status(repo, untracked_files="no")
        dirty = bool(status.unstaged) or any(bool(v) for v in status.staged.values())
        committed_at = getattr(repo[head.encode()], "commit_time", None)
        return Source(commit=head, branch=branch, dirty=dirty, committed_at=committed_at)
    finally:
        repo.close()
