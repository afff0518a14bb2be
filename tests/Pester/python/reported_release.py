"""A real dask-scheduler that reports another release than it is: argv = [release, port]. For the tests of what
DaskPS does with releases newer or older than it supports; the scheduler itself is the one on PYTHONPATH."""
import sys

import distributed

release, port = sys.argv[1], sys.argv[2]
distributed.__version__ = release  # what the scheduler's "versions" reply reads

from distributed.cli.dask_scheduler import main  # noqa: E402

sys.argv = ["dask-scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"]
main()
