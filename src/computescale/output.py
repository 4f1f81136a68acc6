"""Safe output files: written under a temporary name and renamed when complete, never half-written.

Every file computescale writes (``--csv``, ``--plot``, ``SweepResult.to_csv``) goes through
:func:`open_output` or :func:`write_atomically`: the data go to a hidden temporary file in the same
folder, which replaces the target with :func:`os.replace` only when the writing finished. A crash,
a full disk or Ctrl-C leaves the old file as it was (and no temporary file behind). ``-`` names
standard output. The CLI refuses to replace an existing file unless ``--force``
(:func:`check_target`, run before any work). A zarr store is marked complete by an attribute
written last (:func:`mark_zarr_complete`); :func:`open_zarr` refuses a store without it.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path
from typing import Callable, Iterator

from .errors import InputError

__all__ = ["STDOUT", "check_target", "open_output", "write_atomically", "human_size",
           "ZARR_COMPLETE", "mark_zarr_complete", "write_zarr_atomically", "open_zarr"]

#: The file name that means standard output.
STDOUT = "-"
#: The attribute a complete zarr store carries (written after every block).
ZARR_COMPLETE = "computescale_complete"


def human_size(nbytes: float) -> str:
    """``1.9 TB``, ``630 MB``: decimal units, three significant digits."""
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if nbytes >= scale:
            return f"{nbytes / scale:.3g} {unit}"
    return f"{nbytes:.0f} bytes"


def check_target(flag: str, value: str, *, force: bool = False, stdout_ok: bool = True) -> None:
    """Refuse, before any work, an output name that cannot or must not be written.

    A NUL in the name, a folder, a missing or unwritable folder; an existing file unless ``force``
    (say ``--force`` to replace it). ``-`` is standard output where ``stdout_ok``.
    """
    if value == STDOUT:
        if not stdout_ok:
            raise InputError(f"{flag} -: this output is a binary file; give a file name (standard output is for text)")
        return
    if "\x00" in value:
        raise InputError(f"{flag} {value!r}: a file name cannot contain a NUL character")
    path = Path(value)
    folder = path.parent
    try:
        if path.is_dir():
            raise InputError(f"{flag} {value!r} is a folder; give a file name in it")
        if not folder.exists():
            raise InputError(f"{flag} {value!r}: the folder {str(folder)!r} does not exist")
        if not folder.is_dir():
            raise InputError(f"{flag} {value!r}: {str(folder)!r} is not a folder")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise InputError(f"{flag} {value!r}: no permission to write in {str(folder)!r}")
        exists = path.exists() or path.is_symlink()
    except (OSError, ValueError) as exc:  # a name too long, an embedded NUL byte
        raise InputError(f"{flag} {value!r}: not a usable file name ({getattr(exc, 'strerror', None) or exc})") from None
    if exists and not force:
        raise InputError(f"{flag} {value!r} already exists; pass --force to replace it, or give another name")


def _temporary(path: Path, what: str) -> str:
    """A new hidden file beside ``path`` (same folder, so the final rename is atomic)."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:80]}.", suffix=".part")
    except ValueError as exc:  # a NUL byte in the name
        raise InputError(f"{what} {str(path)!r}: not a usable file name ({exc})") from None
    except OSError as exc:
        raise _write_error(what, path, exc) from None
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # as open() would create it (mkstemp makes it private)
    return tmp


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write_error(what: str, path: Path, exc: OSError) -> InputError:
    if isinstance(exc, FileNotFoundError) and not path.parent.is_dir():
        return InputError(f"{what} {str(path)!r}: cannot write it: the folder {str(path.parent)!r} does not exist")
    reason = getattr(exc, "strerror", None) or str(exc)
    kept = " (an existing file of that name is unchanged)" if path.exists() else ""
    return InputError(f"{what} {str(path)!r}: cannot write it ({reason}){kept}")


def write_atomically(path, write: Callable[[str], object], what: str = "file") -> str:
    """Call ``write(tmp)`` with a temporary name beside ``path``, then rename it to ``path``.

    Any failure or interruption (Ctrl-C included) removes the temporary file and leaves ``path`` as it
    was; an OSError (full disk, no permission) becomes one :class:`InputError`.
    """
    path = Path(path)
    tmp = _temporary(path, what)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _write_error(what, path, exc) from None
        raise
    return str(path)


@contextlib.contextmanager
def open_output(path, what: str = "csv file", mode: str = "w") -> Iterator:
    """``with open_output(path) as fh``: text (or bytes, ``mode="wb"``) that replaces ``path`` only when
    the block ends without an error. ``-`` writes to standard output."""
    if str(path) == STDOUT:
        stream = sys.stdout.buffer if "b" in mode else sys.stdout
        yield stream
        stream.flush()
        return
    path = Path(path)
    tmp = _temporary(path, what)
    try:
        with open(tmp, mode, **({} if "b" in mode else {"newline": "", "encoding": "utf-8"})) as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _write_error(what, path, exc) from None
        raise


# ---- zarr stores -----------------------------------------------------------------------------------------------
def mark_zarr_complete(path) -> None:
    """Set the attribute that says every block of the store at ``path`` was written (call it last)."""
    import zarr

    group = zarr.open_group(str(path), mode="r+")
    group.attrs[ZARR_COMPLETE] = True
    with contextlib.suppress(Exception):  # consolidated metadata is optional (zarr 3 warns about it)
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            zarr.consolidate_metadata(str(path))


def write_zarr_atomically(path, write: Callable[[str], object]) -> str:
    """Call ``write(tmp)`` with a hidden store name beside a local ``path``, then rename it to ``path``:
    Ctrl-C or a failure leaves no store under the user's name (a URL is written in place, marked
    complete last). An existing ``path`` is refused, as ``to_zarr`` refuses it."""
    import shutil

    text = str(path)
    if "://" in text:
        write(text)
        return text
    target = Path(text)
    try:
        exists, folder = target.exists() or target.is_symlink(), target.parent.is_dir()
    except (OSError, ValueError) as exc:  # a name too long, a NUL byte
        raise InputError(f"zarr: cannot write {text!r}: {getattr(exc, 'strerror', None) or exc}") from None
    if exists:
        raise InputError(f"zarr: {text!r} already exists; give a new path (an existing store is never overwritten)")
    if not folder:
        raise InputError(f"zarr: cannot write {text!r}: the folder {str(target.parent)!r} does not exist")
    try:
        tmp = tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name[:80]}.", suffix=".part")
    except (OSError, ValueError) as exc:
        raise InputError(f"zarr: cannot write {text!r}: {getattr(exc, 'strerror', None) or exc}") from None
    os.rmdir(tmp)  # to_zarr creates the store itself
    try:
        write(tmp)
        os.replace(tmp, target)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise InputError(f"zarr: cannot write {text!r}: {exc.strerror or exc}") from None
        raise
    return text


def open_zarr(path, **kwargs):
    """An ``xarray.Dataset`` of a store computescale wrote, refused when the store is incomplete
    (interrupted before its last block: its missing blocks would read as NaN)."""
    import xarray as xr

    try:
        ds = xr.open_zarr(str(path), **kwargs)
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"zarr: cannot open {str(path)!r}: {getattr(exc, 'strerror', None) or exc}") from None
    if ds.attrs.get(ZARR_COMPLETE) is not True:
        raise InputError(f"zarr: {str(path)!r} is incomplete (its writing was interrupted, so missing blocks would read "
                         "as NaN); write it again")
    return ds
