"""The image's ENTRYPOINT (`python3 -m jobs train|serve`): SageMaker passes the role as the argument."""

from __future__ import annotations

import sys

import contract

USAGE = (
    f"usage: python3 -m jobs {{{contract.TRAIN_ARGUMENT}|{contract.SERVE_ARGUMENT}}}\n"
    f"  {contract.TRAIN_ARGUMENT}  train under the SageMaker training contract (a training job)\n"
    f"  {contract.SERVE_ARGUMENT}  serve /ping and /invocations on port {contract.SERVING_PORT} (batch transform)\n"
    f"preprocessing runs as: {' '.join(contract.PREPROCESS_ENTRYPOINT)}"
)


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in (contract.TRAIN_ARGUMENT, contract.SERVE_ARGUMENT):
        got = " ".join(argv) if argv else "no argument"
        print(
            f"jobs: expected {contract.TRAIN_ARGUMENT!r} or {contract.SERVE_ARGUMENT!r}, got {got}\n{USAGE}",
            file=sys.stderr,
        )
        return 2
    # Imported lazily: each role loads only what it needs (serving never imports the trainer).
    if argv[0] == contract.TRAIN_ARGUMENT:
        from jobs.train import main as run
    else:
        from jobs.serve import main as run
    return run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
