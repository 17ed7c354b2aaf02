"""Lab guests only: a bytecode cache for modules imported from zip files.

Ansible runs every module as a zip of its Python sources (AnsiballZ), and Python's
zipimport compiles each source it imports from a zip on every run: it never writes
bytecode back. Under software emulation that compile is most of a module's start-up
(about 2 of its 4 seconds for ansible.module_utils.basic and its imports). This keeps
the compiled code of each source in a root-only directory, keyed by the SHA-256 of the
source, the name inside the zip and the interpreter's version, and uses it on the next
run. The code that runs is the code the source compiles to; only the compile is saved.

Loaded at interpreter start by confine_lab_pyc.pth. Anything unexpected (no
zipimport._compile_source, a cache directory that is not root's own and private, a
file that does not unmarshal) falls back to Python's own compile. Not part of the
collection: the lab image installs it (lab/build-image.sh, docs/testing.md).
"""

import os
import sys
import zipimport

CACHE = '/var/cache/confine-lab-pyc'


def _private_dir():
    try:
        st = os.lstat(CACHE)
    except FileNotFoundError:
        try:
            os.mkdir(CACHE, 0o700)
            st = os.lstat(CACHE)
        except OSError:
            return False
    except OSError:
        return False
    import stat
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid() and not st.st_mode & 0o077


def _install():
    original = getattr(zipimport, '_compile_source', None)
    if original is None or os.geteuid() != 0:
        return
    import marshal
    private = []

    def compile_source(pathname, source):
        if not private:
            private.append(_private_dir())
        if not private[0]:
            return original(pathname, source)
        try:
            import hashlib
            inner = pathname.rsplit('.zip' + os.sep, 1)[-1]
            key = hashlib.sha256(b'%s\0%s\0' % (sys.version.encode(), inner.encode('utf-8', 'replace')) + source)
            path = os.path.join(CACHE, key.hexdigest())
        except Exception:  # pylint: disable=broad-except
            return original(pathname, source)
        try:
            with open(path, 'rb') as f:
                return marshal.loads(f.read())
        except Exception:  # pylint: disable=broad-except
            pass
        code = original(pathname, source)
        tmp = '%s.%d.tmp' % (path, os.getpid())
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, 'wb') as f:
                f.write(marshal.dumps(code))
            os.replace(tmp, path)
        except OSError:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        return code

    zipimport._compile_source = compile_source


_install()
