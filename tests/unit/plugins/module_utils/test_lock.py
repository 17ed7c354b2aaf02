# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_lock: the short directory lock around a read-modify-write."""

import pytest

from ansible_collections.confine.hardening.plugins.module_utils import _lock as lock


# issue 11 item 13: the short lock around a read-modify-write
def test_dir_lock_excludes_a_second_holder_and_times_out_in_one_sentence(tmp_path):
    with lock.dir_lock(str(tmp_path), 1, 'the record'):
        with pytest.raises(lock.LockTimeout) as err:
            with lock.dir_lock(str(tmp_path), 0.2, 'the record'):
                pass
    assert err.value.strerror == '%s: another process kept the record locked for more than 0 seconds' % tmp_path
    with lock.dir_lock(str(tmp_path), 0.2):
        pass
    with lock.dir_lock(str(tmp_path / 'missing'), 0.2):     # nothing to protect, nothing created
        pass
    assert not (tmp_path / 'missing').exists()
