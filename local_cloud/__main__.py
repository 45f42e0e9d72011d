"""`python -m local_cloud serve|up|demo`: the local AWS, a deployed local cloud, the full local run."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import click

from contract import stacks
from local_cloud.cloud import DEFAULT_RUN_DIR


class LocalCloudGroup(click.Group):
    """A local cloud that cannot start or deploy says so as click's `Error: ...` (with its log's tail), no traceback."""

    def invoke(self, ctx: click.Context):
        from local_cloud.cloud import LocalCloudError
        from local_cloud.deploy import DeployError

        try:
            return super().invoke(ctx)
        except (LocalCloudError, DeployError) as error:
            raise click.ClickException(str(error)) from None


@click.group(cls=LocalCloudGroup)
def main() -> None:
    """The embedded local cloud: the real stacks and executions, without AWS."""


@main.command()
@click.option("--port", type=int, required=True)
@click.option("--run-dir", type=click.Path(path_type=Path), default=DEFAULT_RUN_DIR, show_default=True)
@click.option("--mlflow-port", type=int, default=0, show_default=True, help="the MLflow server's; 0: none")
def serve(port: int, run_dir: Path, mlflow_port: int) -> None:
    """Serve the local AWS in the foreground (LocalCloud starts this as its child process)."""
    from local_cloud.server import serve as serve_forever

    serve_forever(port, run_dir.resolve(), mlflow_port)


@main.command()
@click.option("--port", type=int, default=None, help="default: a free port")
@click.option("--run-dir", type=click.Path(path_type=Path), default=DEFAULT_RUN_DIR, show_default=True)
@click.option("--deploy/--no-deploy", default=True, show_default=True, help="cdk bootstrap + deploy --all")
def up(port: int | None, run_dir: Path, deploy: bool) -> None:
    """Start the local cloud, deploy the stacks, and keep it running until Ctrl-C."""
    import time

    from local_cloud.cloud import LocalCloud
    from local_cloud.deploy import deploy as deploy_stacks

    # Ctrl-C or a plain `kill` ends the with-block, which stops the server and all it started
    # (SIGINT too, even when a non-interactive shell started this in the background with it ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with LocalCloud(run_dir, port=port) as cloud:
        click.echo(f"local cloud on {cloud.endpoint_url} (run folder {cloud.run_dir})")
        if deploy:
            started = time.monotonic()
            outputs = deploy_stacks(cloud.endpoint_url, work_dir=cloud.run_dir)
            click.echo(f"deployed {', '.join(outputs)} in {time.monotonic() - started:.0f} s")
            from local_cloud.demo import upload_sample_dataset

            bucket = outputs[stacks.pipeline_stack_name()][stacks.BUCKET_OUTPUT]
            click.echo(f"sample dataset (the default dataset.s3Uri): {upload_sample_dataset(cloud, bucket)}")
        if cloud.mlflow:
            click.echo(f"MLflow UI (every execution's runs, earlier `make run` sweeps' too): {cloud.wait_for_mlflow()}")
        click.echo(
            f"in another shell:  export AWS_ENDPOINT_URL={cloud.endpoint_url} AWS_ACCESS_KEY_ID=local "
            "AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=us-east-1"
        )
        click.echo("Ctrl-C stops the local cloud and everything it started.")
        try:
            while cloud.process is not None and cloud.process.poll() is None:
                time.sleep(1)
        except KeyboardInterrupt:
            pass


@main.command()
@click.option("--run-dir", type=click.Path(path_type=Path), default=DEFAULT_RUN_DIR, show_default=True)
@click.option("--report-dir", type=click.Path(path_type=Path), default=Path("reports/local-run"), show_default=True)
@click.option("--experiment-name", default="mnist-cnn", show_default=True)
def demo(run_dir: Path, report_dir: Path, experiment_name: str) -> None:
    """The full local run: start, deploy, upload digits, run the notebook's five trials, report, stop."""
    from local_cloud.demo import run_demo

    raise SystemExit(run_demo(run_dir=run_dir, report_dir=report_dir, experiment_name=experiment_name))


if __name__ == "__main__":
    main()
