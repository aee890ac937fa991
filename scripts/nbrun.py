"""Execute one notebook headless on the real tslab kernel (nbclient) and save it with outputs.

Usage: python scripts/nbrun.py IN.ipynb OUT.ipynb [--timeout SECONDS] [--cwd DIR] [--kernel tslab] [--progress]

Prints one JSON line at the end: {"ok": bool, "seconds": float, "error": str|null,
"failed_cell": int|null}. Exit code 0 on success, 1 when a cell raised.
`failed_cell` is the index (in nb.cells, markdown included) of the cell that raised or timed out.
The genre-lab kernel (scripts/tslab-kernel) starts in the repository root whatever --cwd says, so
notebooks import `./lib/...` the same way headless and in JupyterLab.
"""
import argparse
import json
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--timeout", type=int, default=1800, help="per-cell timeout in seconds")
    ap.add_argument("--cwd", default=None)
    ap.add_argument("--kernel", default="tslab")
    ap.add_argument("--progress", action="store_true", help="print the index of each cell as it starts (stderr)")
    a = ap.parse_args()

    # Headless: the kernel ignores on-disk changes to lib/ while it runs (scripts/tslab-preload.js,
    # which scripts/tslab-kernel loads into every kernel).
    os.environ["GENRE_LAB_HEADLESS"] = "1"

    nb = nbformat.read(a.src, as_version=4)
    cwd = a.cwd or os.path.dirname(os.path.abspath(a.src))
    state = {"current": None}

    def on_cell_start(cell, cell_index, **_):
        # tslab reports a failing cell on stderr plus an error reply, often without an
        # "error" output, so remember which cell was running instead of searching outputs.
        state["current"] = cell_index
        if a.progress:
            print(json.dumps({"cell": cell_index, "of": len(nb.cells)}), file=sys.stderr, flush=True)

    client = NotebookClient(nb, timeout=a.timeout, kernel_name=a.kernel,
                            resources={"metadata": {"path": cwd}}, allow_errors=False,
                            on_cell_start=on_cell_start)
    t0 = time.time()
    result = {"ok": True, "error": None, "failed_cell": None}
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError) as e:
        result.update(ok=False, error=str(e)[-4000:], failed_cell=state["current"])
    except Exception as e:  # kernel died, kernelspec missing, ...
        result.update(ok=False, error=f"{type(e).__name__}: {e}"[-4000:])
    result["seconds"] = round(time.time() - t0, 2)
    os.makedirs(os.path.dirname(os.path.abspath(a.dst)), exist_ok=True)
    nbformat.write(nb, a.dst)
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
