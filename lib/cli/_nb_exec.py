"""Executes one notebook with the Deno kernel, for `deno task nb`.

Usage: _nb_exec.py NOTEBOOK OUTPUT TIMEOUT_SECONDS

The Deno kernel drops output published in its first moments, before the client's
IOPub subscription is live (front ends connect before anyone runs a cell; headless runs
start at once). So a probe cell runs, without history, until its output arrives; then
the notebook's cells run in order. Any cell error stops the run with exit code 1.
"""
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def main(path: str, out: str, timeout: int) -> int:
    nb = nbformat.read(path, as_version=4)
    folder = path.rsplit("/", 1)[0] if "/" in path else "."
    client = NotebookClient(nb, kernel_name="deno", timeout=timeout, resources={"metadata": {"path": folder}})
    status = 0
    with client.setup_kernel():
        for _ in range(120):
            probe = nbformat.v4.new_code_cell("0")
            client.execute_cell(probe, 0, store_history=False)
            if probe.outputs:
                break
            time.sleep(0.25)
        else:
            print("the Deno kernel never published output", file=sys.stderr)
            return 1
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            try:
                client.execute_cell(cell, index)
            except CellExecutionError as e:
                print(str(e), file=sys.stderr)
                status = 1
                break
    nbformat.write(nb, out)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
