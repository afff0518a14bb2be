"""A real dask-scheduler that reports another release than it is: argv = [release, port]. For the tests of what
DaskPS does with releases newer or older than it supports; the scheduler itself is the one on PYTHONPATH."""
import sys

import distributed
import distributed.node
import distributed.versions

release, port = sys.argv[1], sys.argv[2]
distributed.__version__ = release  # what older releases' "versions" reply reads
original = distributed.versions.get_versions


def reported(*args, **kwargs):
    """get_versions, with the given release (newer releases read it from the package metadata)."""
    info = original(*args, **kwargs)
    info["packages"]["distributed"] = release
    return info


distributed.versions.get_versions = reported
distributed.node.get_versions = reported  # the servers' "versions" handler took its own reference

from distributed.cli.dask_scheduler import main  # noqa: E402

sys.argv = ["dask-scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"]
main()
