"""A small Hugging Face Hub on 127.0.0.1 for release tests: the real ``huggingface_hub`` client talks to it.

It implements the calls a release makes, with state, so a second release sees what the first committed:

* ``POST /api/repos/create``; ``GET /api/datasets/{id}`` (and ``/revision/{rev}``): repository info and head;
* ``GET /api/datasets/{id}/refs`` (tags) and ``GET /api/datasets/{id}/tree/{rev}`` (files, LFS sha256);
* ``POST /api/validate-yaml`` (the card's front matter, checked with ``huggingface_hub``'s ``DatasetCardData``);
* ``POST /api/datasets/{id}/preupload/{rev}``, ``POST /datasets/{id}.git/info/lfs/objects/batch`` and the
  ``PUT`` of each LFS object (basic transfer; the client's Xet path needs the real Hub's CAS service);
* ``POST /api/datasets/{id}/commit/{rev}`` (NDJSON: header, files, LFS files, deletions; parent commit checked);
* ``POST /api/datasets/{id}/tag/{rev}``.

Every request is recorded (method, path, headers, body). Faults are scripted per (method, path pattern): the
next matching requests get the scripted replies (429 with ``Retry-After``, 503...) before the real handler.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, unquote, urlsplit

from tests.support.loopback import LoopbackServer

GITATTRIBUTES = b"*.parquet filter=lfs diff=lfs merge=lfs -text\n"


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Fault:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b'{"error": "scripted fault"}'


@dataclass
class Commit:
    oid: str
    parent: str | None
    files: dict[str, tuple[bytes, bool]]
    """path -> (content, stored as LFS)"""
    summary: str
    description: str


@dataclass
class Repo:
    repo_id: str
    private: bool
    commits: list[Commit]
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def head(self) -> Commit:
        return self.commits[-1]

    def commit_at(self, revision: str) -> Commit | None:
        if revision == "main":
            return self.head
        oid = self.tags.get(revision, revision)
        return next((c for c in self.commits if c.oid == oid), None)


def git_blob(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class FakeHub(LoopbackServer):
    def __init__(self, token: str) -> None:
        self.token = token
        self.repos: dict[str, Repo] = {}
        self.lfs: dict[str, bytes] = {}
        self.requests: list[Seen] = []
        self.validated_cards: list[str] = []
        self.faults: list[tuple[str, str, list[Fault]]] = []
        self._lock = threading.Lock()
        self._counter = 0
        super().__init__(self._handler())

    @property
    def endpoint(self) -> str:
        return self.base_url

    def fail(self, method: str, path_pattern: str, *faults: Fault) -> None:
        """The next requests ``method`` on a path matching ``path_pattern`` (regex) get ``faults``, in order."""
        self.faults.append((method, path_pattern, list(faults)))

    def seen(self, method: str, pattern: str) -> list[Seen]:
        return [r for r in self.requests if r.method == method and re.search(pattern, r.path)]

    def commits_posted(self) -> list[list[dict]]:
        """Every commit request's NDJSON lines, parsed."""
        return [
            [json.loads(line) for line in r.body.decode().splitlines() if line.strip()]
            for r in self.seen("POST", r"/commit/")
        ]

    # ------------------------------------------------------------------ routing

    def _route(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes):
        for index, (fault_method, pattern, faults) in enumerate(self.faults):
            if fault_method == method and re.search(pattern, path) and faults:
                fault = faults.pop(0)
                if not faults:
                    self.faults.pop(index)
                return fault.status, fault.headers, fault.body
        if method == "POST" and path == "/api/validate-yaml":
            return self._validate_yaml(json.loads(body))
        if method == "PUT" and path.startswith("/lfs-upload/"):
            return self._lfs_put(path.rsplit("/", 1)[1], body)
        writes = method in ("POST", "PUT", "DELETE")
        if writes and headers.get("authorization") != f"Bearer {self.token}":
            return (
                401,
                {"X-Error-Message": "Invalid credentials in Authorization header"},
                b'{"error": "401"}',
            )
        if method == "POST" and path == "/api/repos/create":
            return self._create(json.loads(body))
        match = re.fullmatch(r"/datasets/([^/]+/[^/]+)\.git/info/lfs/objects/batch", path)
        if match and method == "POST":
            return self._lfs_batch(json.loads(body))
        match = re.fullmatch(
            r"/api/datasets/([^/]+/[^/]+)(?:/(revision|refs|tree|preupload|commit|tag)(?:/(.*))?)?", path
        )
        if not match:
            return 404, {}, b'{"error": "no such route"}'
        repo_id, action, rest = match.group(1), match.group(2), unquote(match.group(3) or "")
        repo = self.repos.get(repo_id)
        if repo is None:
            return 404, {"X-Error-Code": "RepoNotFound"}, b'{"error": "Repository not found"}'
        if method == "GET" and action in (None, "revision"):
            return self._info(repo, rest or "main")
        if method == "GET" and action == "refs":
            return self._refs(repo)
        if method == "GET" and action == "tree":
            return self._tree(repo, rest)
        if method == "POST" and action == "preupload":
            return self._preupload(repo, json.loads(body))
        if method == "POST" and action == "commit":
            return self._commit(repo, body)
        if method == "POST" and action == "tag":
            return self._tag(repo, rest, json.loads(body))
        return 405, {}, b'{"error": "method not allowed"}'

    def _json(self, value: object, status: int = 200) -> tuple[int, dict[str, str], bytes]:
        return status, {"Content-Type": "application/json"}, json.dumps(value).encode()

    def _new_oid(self) -> str:
        self._counter += 1
        return hashlib.sha1(f"commit-{self._counter}".encode()).hexdigest()

    def _create(self, payload: dict):
        repo_id = f"{payload['organization']}/{payload['name']}"
        if payload.get("type") != "dataset":
            return self._json({"error": "only dataset repositories here"}, 400)
        if repo_id in self.repos:
            return self._json({"error": "You already created this dataset repo"}, 409)
        first = Commit(
            self._new_oid(), None, {".gitattributes": (GITATTRIBUTES, False)}, "initial commit", ""
        )
        self.repos[repo_id] = Repo(repo_id, payload.get("visibility") == "private", [first])
        return self._json({"url": f"{self.endpoint}/datasets/{repo_id}", "name": repo_id})

    def _info(self, repo: Repo, revision: str):
        commit = repo.commit_at(revision)
        if commit is None:
            return 404, {"X-Error-Code": "RevisionNotFound"}, b'{"error": "revision not found"}'
        siblings = [{"rfilename": path} for path in sorted(commit.files)]
        return self._json(
            {"id": repo.repo_id, "sha": commit.oid, "private": repo.private, "siblings": siblings}
        )

    def _refs(self, repo: Repo):
        return self._json(
            {
                "branches": [{"name": "main", "ref": "refs/heads/main", "targetCommit": repo.head.oid}],
                "converts": [],
                "tags": [
                    {"name": name, "ref": f"refs/tags/{name}", "targetCommit": oid}
                    for name, oid in sorted(repo.tags.items())
                ],
            }
        )

    def _tree(self, repo: Repo, rest: str):
        revision, _, prefix = rest.partition("/")
        commit = repo.commit_at(revision)
        if commit is None:
            return 404, {"X-Error-Code": "RevisionNotFound"}, b'{"error": "revision not found"}'
        entries = []
        for path, (content, lfs) in sorted(commit.files.items()):
            if prefix and not path.startswith(prefix.rstrip("/") + "/"):
                continue
            entry = {"type": "file", "path": path, "size": len(content), "oid": git_blob(content)}
            if lfs:
                sha = hashlib.sha256(content).hexdigest()
                entry["lfs"] = {"oid": sha, "size": len(content), "pointerSize": 134}
            entries.append(entry)
        return self._json(entries)

    def _validate_yaml(self, payload: dict):
        from huggingface_hub import DatasetCard

        self.validated_cards.append(payload["content"])
        try:
            DatasetCard(payload["content"]).data  # noqa: B018 - parses the YAML front matter
        except Exception as error:
            return self._json({"errors": [{"message": str(error)}]}, 400)
        return self._json({"errors": [], "warnings": []})

    def _preupload(self, repo: Repo, payload: dict):
        files = []
        for item in payload["files"]:
            lfs = item["path"].endswith(".parquet") or item["size"] > 10 << 20
            existing = repo.head.files.get(item["path"])
            oid = None
            if existing is not None:
                oid = hashlib.sha256(existing[0]).hexdigest() if existing[1] else git_blob(existing[0])
            files.append(
                {
                    "path": item["path"],
                    "uploadMode": "lfs" if lfs else "regular",
                    "shouldIgnore": False,
                    "oid": oid,
                }
            )
        return self._json({"files": files, "commitOid": repo.head.oid})

    def _lfs_batch(self, payload: dict):
        objects = []
        for item in payload["objects"]:
            entry = {"oid": item["oid"], "size": item["size"], "authenticated": True}
            if item["oid"] not in self.lfs:
                entry["actions"] = {"upload": {"href": f"{self.endpoint}/lfs-upload/{item['oid']}"}}
            objects.append(entry)
        return self._json({"transfer": "basic", "objects": objects})

    def _lfs_put(self, oid: str, body: bytes):
        if hashlib.sha256(body).hexdigest() != oid:
            return self._json({"error": "sha256 mismatch"}, 400)
        self.lfs[oid] = body
        return 200, {}, b""

    def _commit(self, repo: Repo, body: bytes):
        lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
        header = lines[0]["value"]
        parent = header.get("parentCommit")
        if parent is not None and parent != repo.head.oid:
            return self._json({"error": "A commit has happened since. Please refresh and try again."}, 412)
        files = dict(repo.head.files)
        for line in lines[1:]:
            value = line["value"]
            if line["key"] == "file":
                files[value["path"]] = (base64.b64decode(value["content"]), False)
            elif line["key"] == "lfsFile":
                if value["oid"] not in self.lfs:
                    return self._json({"error": f"LFS object {value['oid']} was never uploaded"}, 422)
                files[value["path"]] = (self.lfs[value["oid"]], True)
            elif line["key"] == "deletedFile":
                if value["path"] not in files:
                    return (
                        404,
                        {"X-Error-Code": "EntryNotFound"},
                        b'{"error": "A file with this name doesn\'t exist"}',
                    )
                del files[value["path"]]
            elif line["key"] == "deletedFolder":
                files = {p: v for p, v in files.items() if not p.startswith(value["path"].rstrip("/") + "/")}
        commit = Commit(
            self._new_oid(), repo.head.oid, files, header["summary"], header.get("description", "")
        )
        repo.commits.append(commit)
        url = f"{self.endpoint}/datasets/{repo.repo_id}/commit/{commit.oid}"
        return self._json({"success": True, "commitOid": commit.oid, "commitUrl": url})

    def _tag(self, repo: Repo, revision: str, payload: dict):
        if payload["tag"] in repo.tags:
            return self._json({"error": "Tag already exists"}, 409)
        commit = repo.commit_at(revision)
        if commit is None:
            return 404, {"X-Error-Code": "RevisionNotFound"}, b'{"error": "revision not found"}'
        repo.tags[payload["tag"]] = commit.oid
        return self._json({})

    # ------------------------------------------------------------------ HTTP plumbing

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
                headers = {key.lower(): value for key, value in self.headers.items()}
                body = self._body(headers)
                with hub._lock:
                    hub.requests.append(Seen(self.command, parts.path, query, headers, body))
                    status, reply_headers, reply = hub._route(self.command, parts.path, query, headers, body)
                self.send_response(status)
                for name, value in reply_headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def _body(self, headers: dict[str, str]) -> bytes:
                if headers.get("transfer-encoding", "").lower() == "chunked":
                    chunks = []
                    while True:
                        size = int(self.rfile.readline().strip().split(b";")[0], 16)
                        if size == 0:
                            self.rfile.readline()
                            return b"".join(chunks)
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                return self.rfile.read(int(headers.get("content-length", "0") or 0))

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, *_: object) -> None:
                pass

        return Handler


@contextmanager
def fake_hub(token: str) -> Iterator[FakeHub]:
    with FakeHub(token) as hub:
        yield hub
