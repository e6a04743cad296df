"""Files in and out, for every verb and node: inputs are checked before they are read, and outputs
appear whole or not at all, never on top of an input or of each other.

Inputs: :func:`check_input_file` accepts an existing, readable regular file and turns every other
case (missing, a directory, a FIFO or device, a symbolic-link loop, a NUL byte in the name, no
permission) into one BadInputError line; :func:`read_json` adds size, UTF-8 and nesting limits.

Outputs: :class:`OutputSet` is one transaction over all the files a job writes. Each output gets a
temporary file; nothing is committed until the whole job succeeded, and then all outputs are
committed together or none is (a failed rename puts back what was there before). An output that
names an input of the job, or the same file as another output, is refused before any work starts.
An output that is a device, FIFO or socket (``-o /dev/null``, ``/dev/stdout``) is written into,
never replaced by a regular file; a symbolic link is written through (its target is replaced).
Temporary files are removed on any exception (and at interpreter exit, e.g. after SIGTERM, which
the CLI turns into an exception).
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import json
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Any, Iterable, Iterator

from .errors import BadInputError
from .limits import MAX_JSON_BYTES, MAX_JSON_DEPTH


def _read_umask() -> int:
    # Read once at import: os.umask can only be read by setting it, which is not thread-safe later.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()
# Temporary files and folders not yet committed or removed (removed at exit if still there).
_LIVE_TEMPS: set[str] = set()
# What an OSError means for the person who gave the path, and what to do.
_HINTS = {
    errno.ENOSPC: "the disk is full: free some space or write somewhere else",
    errno.EDQUOT: "the disk quota is exhausted: free some space or write somewhere else",
    errno.EROFS: "the file system is read-only: write somewhere else",
    errno.EACCES: "permission denied: choose a folder you can write to (or a file you can read)",
    errno.EPERM: "operation not permitted: choose another place",
    errno.EISDIR: "it is a directory: give a file name",
    errno.ENOTDIR: "a part of the path is not a directory",
    errno.ELOOP: "the path is a loop of symbolic links",
    errno.ENAMETOOLONG: "the name is too long",
    errno.EFBIG: "the file would be too large for this file system or limit",
    errno.EIO: "input/output error: the disk or network share failed",
}


def _remove_live_temps() -> None:
    for name in list(_LIVE_TEMPS):
        _discard(name)


atexit.register(_remove_live_temps)


def _discard(name: str) -> None:
    with contextlib.suppress(OSError):
        if os.path.isdir(name) and not os.path.islink(name):
            shutil.rmtree(name, ignore_errors=True)
        else:
            os.unlink(name)
    _LIVE_TEMPS.discard(name)


def describe_os_error(exc: OSError) -> str:
    """One phrase for an OSError: its hint when we know the errno, else the system's words."""
    return _HINTS.get(exc.errno, exc.strerror or str(exc))


def os_error_as_bad_input(exc: OSError, action: str, path: str | os.PathLike | None = None) -> BadInputError:
    """BadInputError("cannot <action> <path>: <what it means>") for an OSError."""
    name = path if path is not None else (exc.filename or "the file")
    return BadInputError(f"cannot {action} {os.fspath(name)}: {describe_os_error(exc)}")


def _as_path(path: Any, what: str) -> Path:
    if isinstance(path, bytes):
        raise BadInputError(f"{what}: give the path as text, not bytes")
    if not isinstance(path, (str, os.PathLike)):
        raise BadInputError(f"{what}: expected a file path, got {type(path).__name__}")
    text = os.fspath(path)
    if not isinstance(text, str) or not text:
        raise BadInputError(f"{what}: the path is empty")
    if "\x00" in text:
        raise BadInputError(f"{what}: the path {text!r} contains a NUL byte; no file can have that name")
    return Path(text)


# --- inputs ---------------------------------------------------------------------------------------


def check_input_file(path: Any, what: str = "input file") -> Path:
    """`path` as a Path after checking it names an existing, readable regular file.

    A symbolic link is followed. Anything else (missing, a directory, a FIFO, a device, a socket,
    a link loop, no permission, a NUL byte in the name) is one BadInputError that says so.
    """
    file_path = _as_path(path, what)
    try:
        info = os.stat(file_path)
    except FileNotFoundError:
        if os.path.islink(file_path):
            raise BadInputError(f"{what} {file_path} is a symbolic link to nothing (its target is missing)") from None
        raise BadInputError(f"{what} not found: {file_path}") from None
    except OSError as exc:
        raise os_error_as_bad_input(exc, "read", file_path) from None
    except ValueError as exc:  # e.g. a path too long for the platform's API
        raise BadInputError(f"{what}: unusable path {os.fspath(file_path)!r} ({exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise BadInputError(f"{file_path} is a directory, not a {what}; give a file")
    if not stat.S_ISREG(info.st_mode):
        raise BadInputError(
            f"{file_path} is not a regular file (a device, FIFO or socket); give a {what} stored on disk"
        )
    if not os.access(file_path, os.R_OK):
        raise BadInputError(f"cannot read {file_path}: permission denied")
    return file_path


def read_bytes(path: Any, what: str = "file", *, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most `max_bytes` (checked before reading)."""
    file_path = check_input_file(path, what)
    try:
        with open(file_path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise os_error_as_bad_input(exc, "read", file_path) from None
    if len(data) > max_bytes:
        raise BadInputError(
            f"{what} {file_path.name} is larger than the {max_bytes / 1024**2:.0f} MiB limit for such files"
        )
    return data


def decode_utf8(data: bytes, what: str) -> str:
    """Bytes as UTF-8 text (a leading BOM is dropped), or a BadInputError that says where it fails."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadInputError(
            f"{what} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); save it as UTF-8"
        ) from None


def parse_json(text: str, what: str) -> Any:
    """JSON text → Python value, with syntax, recursion and nesting errors as BadInputError."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInputError(f"{what} is not valid JSON ({exc})") from None
    except RecursionError:
        raise BadInputError(f"{what} is nested too deeply (limit {MAX_JSON_DEPTH} levels)") from None
    check_json_depth(value, what)
    return value


def check_json_depth(value: Any, what: str, limit: int = MAX_JSON_DEPTH) -> None:
    """Refuse JSON values nested deeper than `limit` arrays/objects (checked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            raise BadInputError(f"{what} is nested too deeply (more than {limit} levels)")
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))


def read_json(path: Any, what: str = "JSON file", *, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """A JSON document from a regular file: size, encoding, syntax and nesting checked."""
    data = read_bytes(path, what, max_bytes=max_bytes)
    return parse_json(decode_utf8(data, f"{what} {Path(path).name}"), f"{what} {Path(path).name}")


# --- outputs --------------------------------------------------------------------------------------


def _identity(path: Path) -> tuple:
    """What tells two paths apart: (device, inode) of an existing file, else its absolute real path."""
    real = os.path.realpath(path)
    # the path as given first, then its real path: "missing_dir/../file" names an existing file once
    # the missing folder is made (an output's parents are created), though the kernel cannot stat it now
    for candidate in (path, real):
        try:
            info = os.stat(candidate)
            return ("inode", info.st_dev, info.st_ino)
        except OSError:
            continue
    return ("path", real)


def _standard_stream_fd(info: os.stat_result | None) -> int | None:
    """1 or 2 when the file `info` describes is this process's stdout or stderr (``/dev/stdout``,
    ``/proc/self/fd/1``, or a file the shell redirected them to): such outputs are written through
    the stream itself, so nothing else written to it (a message) overwrites them."""
    if info is None:
        return None
    for fd in (1, 2):
        try:
            stream = os.fstat(fd)
        except OSError:
            continue
        if (stream.st_dev, stream.st_ino) == (info.st_dev, info.st_ino):
            return fd
    return None


def _resolve_output(path: Path, what: str) -> tuple[Path, bool, int | None]:
    """(the file an output path really names, whether it is special, the standard stream it is).

    Special: a device, FIFO or socket, or this process's stdout/stderr; its bytes are written into
    it at commit, never by replacing it. A symbolic link to a regular (or missing) file is followed:
    that file is the target.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise os_error_as_bad_input(exc, f"write {what}", path) from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise BadInputError(f"{what} {path} is a directory; give a file name")
    stream = _standard_stream_fd(info)
    if stream is not None or (info is not None and not stat.S_ISREG(info.st_mode)):
        return path, True, stream
    return (Path(os.path.realpath(path)) if os.path.islink(path) else path), False, None


class OutputSet:
    """All outputs of one job, committed together at the end or not at all.

        with OutputSet(inputs=[video]) as outputs:
            tmp_wav = outputs.add(wav_path, "WAV output")
            tmp_json = outputs.add(json_path, "physics output")
            ... write the temporary files ...
        # both files are in place here, or (on any exception) neither changed

    `inputs`: files the job reads; an output naming one of them is refused (BadInputError), as
    is a second output on the path of the first. A folder among them (a model folder) stands for
    every file in it: an output may be a new file there, never an existing one.
    """

    def __init__(self, *, inputs: Iterable[Any] = ()) -> None:
        self._inputs = {}
        self._input_dirs: dict[str, Path] = {}
        for entry in inputs:
            if entry is None:
                continue
            input_path = Path(os.fspath(entry))
            self._inputs.setdefault(_identity(input_path), input_path)
            with contextlib.suppress(OSError, ValueError):
                if input_path.is_dir():
                    self._input_dirs.setdefault(os.path.realpath(input_path), input_path)
        self._entries: list[dict] = []

    def _input_folder_holding(self, target: Path) -> Path | None:
        """The input folder that holds the existing file `target`, if any."""
        if not self._input_dirs or not os.path.lexists(target):
            return None
        real = os.path.realpath(target)
        for folder, given in self._input_dirs.items():
            if real.startswith(folder.rstrip(os.sep) + os.sep):
                return given
        return None

    def __enter__(self) -> "OutputSet":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            self.commit()
        else:
            self.discard()
        return False

    def add(self, path: Any, what: str = "output") -> Path:
        """Reserve an output; returns the temporary path to write it to (same suffix as `path`)."""
        final = _as_path(path, what)
        target, special, stream = _resolve_output(final, what)
        identity = _identity(target)
        if identity in self._inputs:
            raise BadInputError(
                f"{what} {final} is the input {self._inputs[identity]}; writing it would destroy that input — "
                "choose another output name"
            )
        folder = None if special else self._input_folder_holding(target)
        if folder is not None:
            raise BadInputError(
                f"{what} {final} is a file of the input folder {folder}; writing it would destroy that input — "
                "choose another output name"
            )
        for entry in self._entries:
            if entry["identity"] == identity:
                raise BadInputError(
                    f"{what} {final} is the same file as the {entry['what']} {entry['final']}; "
                    "give each output its own name"
                )
        parent = Path(tempfile.gettempdir()) if special else target.parent
        if not special:
            try:
                parent.mkdir(parents=True, exist_ok=True)
            except FileExistsError:
                raise BadInputError(f"cannot write {what} {final}: {parent} is not a directory") from None
            except OSError as exc:
                raise os_error_as_bad_input(exc, f"write {what}", final) from None
        try:
            fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem[:40]}.", suffix=f".part{target.suffix}", dir=parent)
        except OSError as exc:
            raise os_error_as_bad_input(exc, f"write {what}", final) from None
        os.close(fd)
        _LIVE_TEMPS.add(tmp_name)
        self._entries.append({"final": final, "target": target, "tmp": tmp_name, "special": special, "stream": stream,
                              "identity": identity, "what": what})
        return Path(tmp_name)

    def discard(self) -> None:
        """Remove every temporary file (nothing is committed)."""
        for entry in self._entries:
            _discard(entry["tmp"])
        self._entries = []

    def commit(self) -> None:
        """Move every output into place; if one fails, put back what was there and raise."""
        done: list[tuple[dict, str | None]] = []  # (entry, backup of the previous file or None)
        current: dict | None = None
        try:
            for entry in (e for e in self._entries if not e["special"]):
                current = entry
                with contextlib.suppress(OSError):
                    # mkstemp creates 0600; give the result the permissions a plain open() would have.
                    os.chmod(entry["tmp"], 0o666 & ~_UMASK)
                backup = _backup_of(entry["target"])
                try:
                    os.replace(entry["tmp"], entry["target"])
                except BaseException:
                    if backup is not None:
                        _restore(backup, entry["target"])
                    raise
                _LIVE_TEMPS.discard(entry["tmp"])
                done.append((entry, backup))
            for entry in (e for e in self._entries if e["special"]):
                current = entry
                _copy_into(entry["tmp"], entry["target"], entry["stream"])
                _discard(entry["tmp"])
        except BaseException as exc:
            for entry, backup in reversed(done):
                if backup is not None:
                    _restore(backup, entry["target"])
                else:
                    with contextlib.suppress(OSError):
                        os.unlink(entry["target"])
            self.discard()
            if isinstance(exc, OSError):
                what, final = (current["what"], current["final"]) if current else ("output", exc.filename)
                raise os_error_as_bad_input(exc, f"write {what}", final) from None
            raise
        for _, backup in done:
            if backup is not None:
                _discard(backup)
        self._entries = []


def _backup_of(target: Path) -> str | None:
    """A second name for the file at `target` (a hard link, else a copy) so a failed commit can
    put it back; None when there is no file there."""
    if not target.is_file():
        return None
    fd, name = tempfile.mkstemp(prefix=f".{target.stem[:40]}.", suffix=".previous", dir=target.parent)
    os.close(fd)
    _LIVE_TEMPS.add(name)
    try:
        os.unlink(name)
        os.link(target, name)
    except OSError:
        shutil.copy2(target, name)
    return name


def _restore(backup: str, target: Path) -> None:
    with contextlib.suppress(OSError):
        os.replace(backup, target)
    _LIVE_TEMPS.discard(backup)


def _copy_into(tmp_name: str, target: Path, stream: int | None = None) -> None:
    """Write the bytes of `tmp_name` into an existing device, FIFO or socket file, or through the
    standard stream `stream` (1 or 2) — never by replacing the file."""
    if stream is not None:
        import sys

        for handle in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                handle.flush()
        with open(tmp_name, "rb") as source:
            while chunk := source.read(1 << 20):
                view = memoryview(chunk)
                while view:
                    view = view[os.write(stream, view):]
        return
    with open(tmp_name, "rb") as source, open(target, "wb") as sink:
        shutil.copyfileobj(source, sink, 1 << 20)


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike, what: str = "output", *, inputs: Iterable[Any] = ()) -> Iterator[Path]:
    """Yield a temporary path for `path`; move it onto `path` only if the block succeeds.

    On any exception (including KeyboardInterrupt) the temporary file is removed, so a failed or
    interrupted run never leaves a partial output behind. The temporary name keeps the suffix so
    that libraries choosing a format from the extension (PyAV) still do the right thing. OS errors
    while writing (a full disk, a read-only folder) become one BadInputError line.
    """
    with OutputSet(inputs=inputs) as outputs:  # `inputs`: files (and folders) it must not replace
        tmp = outputs.add(path, what)
        try:
            yield tmp
        except OSError as exc:
            raise os_error_as_bad_input(exc, f"write {what}", path) from None


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike, what: str = "output folder") -> Iterator[Path]:
    """Yield a temporary folder beside `path`; it becomes `path` only if the block succeeds.

    `path` must not exist, or be an empty folder (it is then replaced). On any exception the
    temporary folder and everything in it is removed: an interrupted job leaves nothing behind.
    """
    final = _as_path(path, what)
    if final.exists() or final.is_symlink():
        if not final.is_dir():
            raise BadInputError(f"{what} {final} exists and is not a folder; choose another name")
        try:
            if any(final.iterdir()):
                raise BadInputError(f"{what} {final} is not empty; choose a new folder name (nothing is overwritten)")
        except OSError as exc:
            raise os_error_as_bad_input(exc, f"write {what}", final) from None
    parent = final.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp_name = tempfile.mkdtemp(prefix=f".{final.name[:40]}.", suffix=".part", dir=parent)
    except OSError as exc:
        raise os_error_as_bad_input(exc, f"write {what}", final) from None
    _LIVE_TEMPS.add(tmp_name)
    try:
        yield Path(tmp_name)
        os.chmod(tmp_name, 0o777 & ~_UMASK)
        if final.is_dir():
            final.rmdir()  # empty (checked above)
        os.replace(tmp_name, final)
        _LIVE_TEMPS.discard(tmp_name)
    except OSError as exc:
        _discard(tmp_name)
        raise os_error_as_bad_input(exc, f"write {what}", final) from None
    except BaseException:
        _discard(tmp_name)
        raise
