"""Executes one notebook with the Deno kernel, for `deno task nb`.

Usage: _nb_exec.py NOTEBOOK OUTPUT TIMEOUT_SECONDS

Two quirks of the Deno kernel are worked around:
- it drops output published in its first moments, before the client's IOPub
  subscription is live (front ends connect before anyone runs a cell; headless runs
  start at once): a probe cell runs, without history, until its output arrives;
- it sometimes publishes a cell's last outputs after reporting the cell idle, and
  nbclient stops listening at idle: after each cell the channel is drained until it has
  been quiet for half a second, and what arrives belongs to that cell (nothing else runs).

Any cell error stops the run with exit code 1.
"""
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbclient.util import run_sync

OUTPUT_TYPES = ("stream", "display_data", "update_display_data", "execute_result", "error", "clear_output")


def drain(client: NotebookClient, cell, index: int, quiet: float = 0.5, limit: float = 10.0) -> int:
    """Collects the outputs published after the cell was reported idle; returns how many."""
    get = run_sync(client.kc.iopub_channel.get_msg)
    late = 0
    start = time.time()
    while time.time() - start < limit:
        try:
            msg = get(timeout=quiet)
        except Exception:  # queue.Empty: the channel has been quiet long enough
            break
        if msg["msg_type"] in OUTPUT_TYPES and cell is not None:
            client.process_message(msg, cell, index)
            late += 1
    return late


def wait_for_output(client: NotebookClient, attempts: int = 120) -> bool:
    """Runs `0` (no history) until its result arrives on IOPub: the subscription is live.

    The probe goes straight through the kernel client: nbclient's execute_cell would
    write the probe into the notebook in place of a real cell.
    """
    kc = client.kc
    get_iopub = run_sync(kc.iopub_channel.get_msg)
    get_shell = run_sync(kc.shell_channel.get_msg)
    for _ in range(attempts):
        msg_id = kc.execute("0", store_history=False)
        get_shell(timeout=60)  # the execute_reply
        seen = False
        deadline = time.time() + 0.5
        while time.time() < deadline:
            try:
                msg = get_iopub(timeout=0.25)
            except Exception:  # queue.Empty
                continue
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "execute_result":
                seen = True
        if seen:
            return True
    return False


def main(path: str, out: str, timeout: int) -> int:
    nb = nbformat.read(path, as_version=4)
    folder = path.rsplit("/", 1)[0] if "/" in path else "."
    client = NotebookClient(nb, kernel_name="deno", timeout=timeout, resources={"metadata": {"path": folder}})
    status = 0
    with client.setup_kernel():
        if not wait_for_output(client):
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
            late = drain(client, cell, index)
            if late:
                print(f"cell {index}: {late} output(s) arrived after the cell finished", file=sys.stderr)
    nbformat.write(nb, out)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
