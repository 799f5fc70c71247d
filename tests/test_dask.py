"""The Dask executor against real LocalClusters on loopback: same bytes, same failures, dead workers."""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from pathlib import Path

import pytest

from apsim_batch.batch import dask as dask_executor
from apsim_batch.batch.dask import DaskExecutor
from apsim_batch.batch.executors import render_job
from apsim_batch.batch.plan import Job, Outcome, load_all
from apsim_batch.names import PARTIAL_MARK
from apsim_batch.output.files import atomic_path

from .conftest import run_entry_point, write
from .test_shard import assert_same_tree, small_config, tree, write_batch

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    """A two-worker cluster of separate processes on loopback, shared by this module's tests."""
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},  # not port 8787 (see dask_executor.py)
    ) as running:
        yield running


@pytest.mark.slow
def test_dask_renders_the_same_bytes_as_local_processes(tmp_path, cluster):
    write_batch(tmp_path)
    local = run_entry_point("run", "configs", "--out", "local", "--jobs", "1", cwd=tmp_path)
    assert local.returncode == 0, local.stderr
    remote = run_entry_point(
        "run", "configs", "--out", "dask", "--executor", "dask", "--scheduler", cluster.scheduler_address, cwd=tmp_path
    )
    assert remote.returncode == 0, remote.stderr
    assert_same_tree(tmp_path / "local", tmp_path / "dask")  # every file, the manifests included
    assert "dask/classic/classic.mp4" in {f"dask/{p}" for p in tree(tmp_path / "dask")}
    assert "8 rendered, 0 up to date, 0 failed (outputs in dask/)" in remote.stdout.splitlines()

    # incremental skipping is the batch engine's, whatever the executor
    again = run_entry_point(
        "run", "configs", "--out", "dask", "--executor", "dask", "--scheduler", cluster.scheduler_address, cwd=tmp_path
    )
    assert again.returncode == 0, again.stderr
    assert "0 rendered, 8 up to date, 0 failed (outputs in dask/)" in again.stdout
    assert_same_tree(tmp_path / "local", tmp_path / "dask")


@pytest.mark.slow
def test_dask_reports_failures_like_local_processes(tmp_path, cluster, cli):
    configs = tmp_path / "configs"
    write(configs / "delta.yaml", small_config("Delta", 70))
    write(configs / "epsilon.yaml", small_config("Epsilon", 80))
    write(configs / "broken.yaml", "waveform:\n  samples: 1\n")
    (tmp_path / "outputs").mkdir()
    os.symlink(tmp_path, tmp_path / "outputs" / "epsilon")  # the worker's render of epsilon fails
    local = cli("run", "configs", "--jobs", "1", cwd=tmp_path)
    code, out, err = cli("run", "configs", "--executor", "dask", "--scheduler", cluster.scheduler_address, "--force")
    assert code == local[0] == 1

    # workers get the outputs folder as an absolute path (they may run elsewhere); otherwise the same
    def same(text: str) -> str:
        return re.sub(r"\d+\.\d s", "_ s", text.replace(f"{tmp_path}/outputs/epsilon", "outputs/epsilon"))

    assert same(err) == same(local[2])
    assert same(out) == same(local[1])
    assert err.splitlines() == [
        "✗ configs/broken.yaml:2: waveform.samples: must be at least 2 (got 1)",
        f"✗ configs/epsilon.yaml: {tmp_path / 'outputs' / 'epsilon'}: is a link apsim-batch did not make; nothing is"
        " written through it (remove it and run again)",
    ]
    assert out.splitlines()[0].startswith("✓ delta: rendered in ")
    assert "1 rendered, 0 up to date, 2 failed (outputs in outputs/)" in out


@pytest.mark.slow
def test_dask_starts_its_own_local_cluster(tmp_path, cli):
    write(tmp_path / "configs" / "delta.yaml", small_config("Delta", 70))
    write(tmp_path / "configs" / "theta.yaml", small_config("Theta", 75))
    code, out, err = cli("run", "configs", "--out", "local", "--jobs", "1", cwd=tmp_path)
    assert code == 0, err
    code, out, err = cli("run", "configs", "--out", "dask", "--executor", "dask", "--jobs", "2", cwd=tmp_path)
    assert code == 0, err
    assert "2 rendered, 0 up to date, 0 failed (outputs in dask/)" in out
    assert_same_tree(tmp_path / "local", tmp_path / "dask")


# --- workers that die mid-render ---------------------------------------------------------------


def render_killing_first_worker(job: Job) -> Outcome:
    """Runs on a worker: the first attempt dies (SIGKILL) halfway through writing the GIF."""
    marker = job.out_dir / "killed.txt"
    if not marker.exists():
        import importlib

        engine = importlib.import_module("apsim_batch.output.animate")  # where render() writes its GIF

        def die_while_writing(path: Path, *args, **kwargs) -> None:
            with atomic_path(path) as temp:
                temp.write_bytes(b"GIF89a half a GIF")
                marker.write_text(str(temp))
                os.kill(os.getpid(), signal.SIGKILL)

        engine.write_gif = die_while_writing
    return render_job(job)


def render_killing_every_worker(job: Job) -> Outcome:
    (job.out_dir / job.name).mkdir(parents=True, exist_ok=True)  # atomic_path creates its temporary at once
    with atomic_path(job.out_dir / job.name / f"{job.name}.gif") as temp:
        temp.write_bytes(b"GIF89a half a GIF")
        os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable")


def plan(tmp_path: Path, out: str) -> list[Job]:
    write(tmp_path / "configs" / "delta.yaml", small_config("Delta", 70))
    loaded, failed = load_all([tmp_path / "configs" / "delta.yaml"])
    assert not failed
    (tmp_path / out).mkdir()
    return [Job(loaded[0], tmp_path / out)]


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_worker_killed_mid_render_is_retried_without_a_corrupt_output(tmp_path, cluster):
    jobs = plan(tmp_path, "dask")
    expected = tmp_path / "expected"
    expected.mkdir()
    render_job(Job(jobs[0].loaded, expected))

    outcomes = list(DaskExecutor(scheduler=cluster.scheduler_address).map_unordered(render_killing_first_worker, jobs))

    partial = Path((tmp_path / "dask" / "killed.txt").read_text())
    assert PARTIAL_MARK in partial.name  # the first worker really died mid-write ...
    assert [o.status for o in outcomes] == ["rendered"]  # ... and the render ran again elsewhere
    assert not partial.exists()  # its temporary file is cleaned up
    (tmp_path / "dask" / "killed.txt").unlink()
    assert_same_tree(expected, tmp_path / "dask")


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_render_whose_workers_keep_dying_is_reported_failed(tmp_path, monkeypatch):
    import dask

    jobs = plan(tmp_path, "dask")
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        executor = DaskExecutor(workers=1)  # its own LocalCluster, which reads the setting
        outcomes = list(executor.map_unordered(render_killing_every_worker, jobs))
    assert len(outcomes) == 1
    outcome = outcomes[0]
    assert outcome.status == "failed"
    assert outcome.error == (
        f"{jobs[0].loaded.source}: render lost: every Dask worker that ran it died (KilledWorker), "
        "e.g. out of memory or killed"
    )
    assert list((tmp_path / "dask").rglob("*.*")) == []  # no half-written GIF left behind


def test_without_dask_the_executor_fails_with_an_install_hint(tmp_path, cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # makes `import distributed` fail
    write(tmp_path / "configs" / "delta.yaml", small_config("Delta", 70))
    code, out, err = cli("run", "configs", "--executor", "dask", cwd=tmp_path)
    assert code == 2
    assert err == f"Error: {dask_executor.INSTALL_HINT}\n"
    assert err == 'Error: the dask executor needs Dask distributed; install it with: pip install "apsim-batch[dask]"\n'
    assert not (tmp_path / "outputs").exists()


def test_executor_option_combinations(tmp_path, cli):
    write(tmp_path / "configs" / "delta.yaml", small_config("Delta", 70))
    code, _, err = cli("run", "configs", "--scheduler", "tcp://127.0.0.1:1", cwd=tmp_path)
    assert (code, err) == (2, "Error: --scheduler needs --executor dask\n")
    code, _, err = cli("run", "configs", "--executor", "dask", "--scheduler", "tcp://127.0.0.1:1", "-j", "2")
    assert (code, err) == (
        2,
        "Error: --jobs sets the size of a local Dask cluster; with --scheduler the cluster's workers decide\n",
    )
    code, _, err = cli("run", "configs", "--executor", "threads")
    assert (code, err) == (2, "Error: --executor: no executor 'threads'; choose one of local, dask\n")
    code, _, err = cli("run", "configs", "--executor", "dask", "--timeout-s", "60")
    assert code == 2 and err.startswith("Error: --timeout-s works with local renders only")


@pytest.mark.slow
def test_an_unreachable_scheduler_is_one_clear_error(tmp_path, cli, monkeypatch):
    monkeypatch.setattr(dask_executor, "CONNECT_TIMEOUT_S", 1)
    write(tmp_path / "configs" / "delta.yaml", small_config("Delta", 70))
    code, _, err = cli("run", "configs", "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9", cwd=tmp_path)
    assert code == 1
    assert err.startswith("Error: cannot reach the Dask scheduler at tcp://127.0.0.1:9: ")
    assert len(err.splitlines()) == 1


@pytest.mark.slow
def test_dask_reports_when_each_render_starts(tmp_path, cluster):
    """on_start reaches the client from the worker as the render begins (it was silently dropped)."""
    jobs = plan(tmp_path, "dask")
    started = []
    executor = DaskExecutor(scheduler=cluster.scheduler_address, on_start=lambda job: started.append(job.name))
    outcomes = list(executor.map_unordered(render_job, jobs))
    assert [o.status for o in outcomes] == ["rendered"]
    deadline = time.monotonic() + 5  # the event may trail the result by a moment
    while not started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert started == ["delta"]
