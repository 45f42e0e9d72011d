"""A throwaway jobs image for the runner tests: `train` records what it was given; `serve` counts records.

train: writes what it saw (env, config files, channel files, restored checkpoints) to the model dir,
prints metric lines, writes a checkpoint; fails like the real trainer when hyperparameter `fail` is set.
`sleep` (hyperparameter): seconds it keeps running after writing its checkpoint.
serve: answers /ping and, for /invocations, one JSON line per input line: {"n": <records in the request>}.
"""

import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

root = Path(os.environ["OPT_ML_ROOT"])


def train() -> int:
    hps = json.loads((root / "input/config/hyperparameters.json").read_text())
    seen = {
        "hyperparameters": hps,
        "resourceconfig": json.loads((root / "input/config/resourceconfig.json").read_text()),
        "inputdataconfig": json.loads((root / "input/config/inputdataconfig.json").read_text()),
        "env": {k: v for k, v in os.environ.items() if k.startswith("SM_") or k in ("TRAINING_JOB_NAME",)},
        "channels": {
            c: sorted(p.name for p in (root / "input/data" / c).iterdir()) for c in os.listdir(root / "input/data")
        },
        "restored": sorted(p.name for p in (root / "checkpoints").iterdir()),
    }
    for epoch, accuracy in ((1, 50.0), (2, 75.5)):
        print(f"Train Loss: {1 / epoch:.6f};\nTest Average loss: 0.5,\nTest Accuracy: {accuracy:.4f}%;", flush=True)
    (root / "checkpoints" / "checkpoint-2.pt").write_text("state")
    time.sleep(float(hps.get("sleep", 0)))  # a job that runs a while after its checkpoint
    if hps.get("fail"):
        (root / "output/failure").write_text(f"ValueError: {hps['fail']}")
        return 1
    (root / "model" / "seen.json").write_text(json.dumps(seen))
    (root / "output/data" / "extra.txt").write_text("x")
    return 0


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/ping" else 404)
        self.end_headers()

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        lines = body.decode().split("\n")
        answer = "".join(json.dumps({"n": len(lines), "first": line.split(",")[0]}) + "\n" for line in lines)
        payload = answer.encode()
        self.send_response(200)
        self.send_header("Content-Type", self.headers.get("Accept", "application/jsonlines"))
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        print("request", self.path, flush=True)


def serve() -> int:
    assert (root / "model" / "seen.json").is_file(), "model not extracted"
    HTTPServer(("127.0.0.1", int(os.environ["SAGEMAKER_BIND_TO_PORT"])), Handler).serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(train() if sys.argv[1] == "train" else serve())
