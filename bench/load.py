"""Benchmark: the service under load — API + worker processes, a fake image API at 4.5 s/image.

Starts `cap serve --embedded-workers 0` and W `cap worker` processes on Redis (queue) and
PostgreSQL (metadata) when they answer, else on the embedded SQLite defaults; the image
provider is a fake OpenAI API on 127.0.0.1 (bench/providers.py) answering after 4.5 s, through
the real client, chain and cache (every campaign has its own seed: no cache hits).

1. burst: 50 campaigns (2 products × 3 formats) submitted at once; latency of each from its
   submission to its final state, from the metadata store's timestamps. Target: P95 ≤ 1.25×
   one provider call.
2. sustained: a closed loop of C clients, each submitting its next campaign when the last one
   finished, for D seconds; campaigns per hour. Target ≥ 10,000.
Peak RSS (VmHWM) of every worker. Target < 1 GiB each. CPU seconds per campaign of every
process (the API, the workers, this one, and the database servers when they run here), the
throughput they allow at best, and the burst's P95 they imply: one provider call plus 95 % of
the burst's CPU work over the cores, and the cores the P95 target would take. Prints a table,
writes bench/results/load.json.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from creative_automation.settings import Settings
from creative_automation.storage import build_metadata_store
from creative_automation.storage.states import Scope

sys.path.insert(0, str(Path(__file__).parents[1]))  # run as a script: the repo root for `bench`
from bench.providers import FakeImageAPI, brief

ROOT = Path(__file__).parent
CAP = str(Path(sys.executable).with_name("cap"))
SERVERS = {"postgres", "redis-server"}  # process names of the databases, when they run here


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def backends() -> dict[str, str]:
    """Redis + PostgreSQL when both answer (the at-scale configuration), else embedded."""
    env: dict[str, str] = {}
    try:
        import redis

        redis.Redis.from_url("redis://127.0.0.1:6379/14", socket_connect_timeout=1).ping()
        env["CAP_REDIS_URL"] = "redis://127.0.0.1:6379/14"
        env["CAP_QUEUE_NAME"] = f"bench{uuid.uuid4().hex[:8]}"
    except Exception:
        pass
    try:
        import psycopg

        schema = f"bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as c:
            c.execute(f'CREATE SCHEMA "{schema}"')
        env["CAP_DATABASE_URL"] = (
            f"postgresql://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"
        )
    except Exception:
        pass
    return env


def drop_schema(env: dict[str, str]) -> None:
    url = env.get("CAP_DATABASE_URL", "")
    if "search_path%3D" in url:
        import psycopg

        schema = url.rsplit("%3D", 1)[1]
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as c:
            c.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def cpu_s(pid: int) -> float:
    """User + system CPU seconds the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def servers_cpu_s() -> float:
    """CPU seconds used so far by the PostgreSQL and Redis servers on this machine (their
    live processes, plus what exited backends left in their parent's children's times)."""
    total = 0.0
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and (proc / "comm").read_text().strip() in SERVERS:
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
                total += sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
        except OSError:  # exited meanwhile, or not ours to read
            continue
    return total


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Cluster:
    """The API and the workers as real processes."""

    def __init__(self, env: dict[str, str], workers: int, concurrency: int, log: Path) -> None:
        self.port = free_port()
        self.env = {**os.environ, **env}
        self.log = log.open("ab")
        serve = [CAP, "serve", "--port", str(self.port), "--embedded-workers", "0"]
        self.api = subprocess.Popen(serve, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        self.workers = [
            subprocess.Popen(
                [CAP, "worker", "--concurrency", str(concurrency)],
                env=self.env,
                stdout=self.log,
                stderr=subprocess.STDOUT,
            )
            for _ in range(workers)
        ]
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            raise SystemExit(f"the API did not become ready; see {log}")
        time.sleep(3)  # the workers import and build their chains

    def close(self) -> list[float]:
        rss = [peak_rss_mib(w.pid) for w in self.workers]
        for proc in [*self.workers, self.api]:
            proc.terminate()
        for proc in [*self.workers, self.api]:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.log.close()
        return rss


async def submit(client: httpx.AsyncClient, seed: int) -> str:
    body = {**brief(f"load-{seed}"), "seed": seed}
    response = await client.post("/v1/campaigns", json=body)
    response.raise_for_status()
    campaign_id: str = response.json()["id"]
    return campaign_id


class Finished:
    """Which campaigns have reached a final state: one query to the metadata store every
    0.2 s for all of them (polling the API per campaign would load the 2 cores under test)."""

    FINAL = ("succeeded", "partially_succeeded", "failed", "cancelled")

    def __init__(self, settings: Settings) -> None:
        self.store = build_metadata_store(settings)
        self.waiting: dict[str, asyncio.Event] = {}
        self.task: asyncio.Task[None] | None = None

    async def wait(self, campaign_id: str) -> None:
        if self.task is None:
            self.task = asyncio.create_task(self._poll())
        event = self.waiting.setdefault(campaign_id, asyncio.Event())
        await event.wait()

    async def _poll(self) -> None:
        from creative_automation.storage import CampaignState

        final = [CampaignState(s) for s in self.FINAL]
        while True:
            await asyncio.sleep(0.2)
            page = await asyncio.to_thread(self.store.list_campaigns, state=final, limit=500)
            for campaign in page.items:
                if campaign.id in self.waiting:
                    self.waiting.pop(campaign.id).set()

    def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
        self.store.close()


async def burst(url: str, key: str, count: int, seed0: int, settings: Settings) -> list[str]:
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=count)
    finished = Finished(settings)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120, limits=limits) as c:
        ids = await asyncio.gather(*(submit(c, seed0 + i) for i in range(count)))
        await asyncio.gather(*(finished.wait(i) for i in ids))
    finished.close()
    return list(ids)


async def sustained(
    url: str, key: str, clients: int, seconds: float, seed0: int, settings: Settings
) -> list[str]:
    headers = {"Authorization": f"Bearer {key}"}
    done: list[str] = []
    stop = time.monotonic() + seconds
    finished = Finished(settings)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120) as c:

        async def loop(n: int) -> None:
            seed = seed0 + n * 100_000
            while time.monotonic() < stop:
                cid = await submit(c, seed)
                await finished.wait(cid)
                done.append(cid)
                seed += 1

        await asyncio.gather(*(loop(n) for n in range(clients)))
    finished.close()
    return done


def latencies(
    settings: Settings, ids: list[str]
) -> tuple[list[float], dict[str, int], dict[str, Any]]:
    """Each campaign's submission-to-final-state time, the final states, and the median time
    spent between consecutive steps of the audit trail (where the time goes)."""
    store = build_metadata_store(settings)
    out: list[float] = []
    states: dict[str, int] = {}
    steps: dict[str, list[float]] = {}
    for cid in ids:
        c = store.get_campaign(cid)
        states[c.state.value] = states.get(c.state.value, 0) + 1
        if c.finished_at is not None:
            out.append((c.finished_at - c.created_at).total_seconds())
        trail = store.events(cid)
        for a, b in itertools.pairwise(trail):
            name = f"{a.to_state or a.kind} → {b.to_state or b.kind}"
            steps.setdefault(name, []).append((b.created_at - a.created_at).total_seconds())
    if ids:
        first = store.get_campaign(ids[-1])
        sample = [
            f"+{(e.created_at - first.created_at).total_seconds():.3f} {e.kind} {e.to_state or ''}"
            for e in store.events(ids[-1])
        ] + [
            f"call {c.provider} {c.latency_s:.3f}s {c.outcome}"
            for c in store.provider_calls(ids[-1])
        ]
        steps["_sample"] = sample  # type: ignore[assignment]
    store.close()
    medians: dict[str, Any] = {
        k: round(statistics.median(v), 3) if k != "_sample" else v for k, v in steps.items()
    }
    return sorted(out), states, medians


def pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def main() -> None:  # run as a script: worker processes re-import nothing from here
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", type=float, default=4.5)
    parser.add_argument("--burst", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=40, help="campaigns run first, unmeasured")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=90)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "load.json")
    args = parser.parse_args()
    api = FakeImageAPI(args.latency, 0.0)
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "CAP_DATA_DIR": str(Path(tmp) / "data"), "CAP_IMAGE_PROVIDERS": "openai",
            "OPENAI_API_KEY": "sk-bench", "OPENAI_BASE_URL": f"{api.url}/v1",
            "CAP_ALT_TEXT": "brief", "CAP_RATE_LIMIT": "100000/minute",
            # the fake provider has no account limits: don't let ours throttle the benchmark
            "CAP_PROVIDER_CONCURRENCY": "1024", "CAP_PROVIDER_RPM": "1000000",
            **backends(),
        }  # fmt: skip
        settings = Settings(
            data_dir=Path(env["CAP_DATA_DIR"]), database_url=env.get("CAP_DATABASE_URL"),
            redis_url=env.get("CAP_REDIS_URL"),
        )  # fmt: skip
        store = build_metadata_store(settings)
        store.upgrade()
        key, _ = store.create_key("bench", Scope.WRITE)
        store.close()
        cluster = Cluster(env, args.workers, args.concurrency, Path(tmp) / "cluster.log")
        try:
            started = time.monotonic()
            # seeds never used before: the generation cache (Redis) outlives a run
            seed0 = int(time.time() * 1000) % 10**9 * 10
            # warm-up, not measured: every worker thread's first campaign pays one-off costs
            # (lazy imports under the import lock, pools and caches filling)
            asyncio.run(burst(cluster.url, key, args.warmup, seed0 - 10**5, settings))
            ids = asyncio.run(burst(cluster.url, key, args.burst, seed0, settings))
            burst_wall = time.monotonic() - started
            burst_lat, burst_states, burst_steps = latencies(settings, ids)
            started = time.monotonic()
            pids = {"api": [cluster.api.pid], "workers": [w.pid for w in cluster.workers],
                    "bench (client, fake provider)": [os.getpid()]}  # fmt: skip
            before = {k: sum(cpu_s(p) for p in v) for k, v in pids.items()}
            servers_before = servers_cpu_s()
            done = asyncio.run(
                sustained(cluster.url, key, args.clients, args.seconds, seed0 + 10**6, settings)
            )
            elapsed = time.monotonic() - started
            cpu = {
                k: round((sum(cpu_s(p) for p in v) - before[k]) / max(1, len(done)), 3)
                for k, v in pids.items()
            }
            cpu["postgresql + redis servers (local)"] = round(
                (servers_cpu_s() - servers_before) / max(1, len(done)), 3
            )
            sus_lat, sus_states, _ = latencies(settings, done)
        except BaseException:
            print((Path(tmp) / "cluster.log").read_text()[-4000:], file=sys.stderr)
            raise
        finally:
            rss = cluster.close()
            api.close()
            drop_schema(env)
    per_hour = len(done) / elapsed * 3600
    p50, p95 = pct(burst_lat, 50), pct(burst_lat, 95)
    rows: dict[str, Any] = {
        "backends": "redis+postgresql" if "CAP_DATABASE_URL" in env and "CAP_REDIS_URL" in env
        else ", ".join(k for k in ("CAP_REDIS_URL", "CAP_DATABASE_URL") if k in env) or "embedded",
        "provider_latency_s": args.latency,
        "workers": args.workers, "concurrency_per_worker": args.concurrency,
        "warmup_campaigns": args.warmup,
        "burst": {"campaigns": args.burst, "states": burst_states, "p50_s": round(p50, 3),
                  "p95_s": round(p95, 3), "p95_ratio": round(p95 / args.latency, 3),
                  "wall_s": round(burst_wall, 2), "median_step_s": burst_steps},
        "sustained": {"clients": args.clients, "seconds": round(elapsed, 1),
                      "campaigns": len(done), "states": sus_states,
                      "campaigns_per_hour": round(per_hour),
                      "p50_s": round(pct(sus_lat, 50), 3) if sus_lat else None,
                      "p95_s": round(pct(sus_lat, 95), 3) if sus_lat else None,
                      "cpu_s_per_campaign": cpu},
        "peak_rss_mib_per_worker": [round(r, 1) for r in rss],
    }  # fmt: skip
    b, s = rows["burst"], rows["sustained"]
    print(f"{'backends':<44} {rows['backends']:>20}")
    print(f"{'one provider call (critical path), s':<44} {args.latency:>20.2f}")
    print(f"{'burst: campaigns submitted at once':<44} {b['campaigns']:>20}")
    print(f"{'burst: P50 / P95 latency, s':<44} {b['p50_s']:>10.2f} / {b['p95_s']:>7.2f}")
    print(f"{'burst: P95 ratio (target ≤ 1.25)':<44} {b['p95_ratio']:>20.3f}")
    print(f"{'sustained: campaigns in ' + str(s['seconds']) + ' s':<44} {s['campaigns']:>20}")
    print(f"{'sustained: campaigns per hour (≥ 10,000)':<44} {s['campaigns_per_hour']:>20,}")
    for name, value in s["cpu_s_per_campaign"].items():
        print(f"{'sustained: CPU s per campaign, ' + name:<44} {value:>20.3f}")
    total = sum(s["cpu_s_per_campaign"].values())
    print(f"{'sustained: CPU s per campaign, all':<44} {total:>20.3f}")
    print(f"{'  → at most, on ' + str(os.cpu_count()) + ' cores, campaigns per hour':<44} "
          f"{(os.cpu_count() or 1) * 3600 / total:>20,.0f}")  # fmt: skip
    # The burst's 95th campaign ends after about one provider call plus 95 % of the burst's
    # CPU work (most of which waits for the sources) spread over every core: an estimate, as
    # a little of that work (submission, the requests) overlaps the call.
    cores = os.cpu_count() or 1
    work = 0.95 * args.burst * total
    b["p95_cpu_bound_s"] = round(args.latency + work / cores, 2)
    b["cores_for_target"] = round(work / (0.25 * args.latency), 1)
    print(f"{'burst: P95 CPU-bound estimate, ' + str(cores) + ' cores, s':<44} "
          f"{b['p95_cpu_bound_s']:>20.2f}")  # fmt: skip
    print(f"{'burst: cores the P95 target needs':<44} {b['cores_for_target']:>20.1f}")
    print(f"{'peak RSS per worker, MiB (< 1024)':<44} {rows['peak_rss_mib_per_worker']!s:>20}")
    ok = (
        b["p95_ratio"] <= 1.25 and per_hour >= 10_000 and max(rss) < 1024
        and burst_states.get("succeeded") == args.burst
    )  # fmt: skip
    print(f"\n{'PASS' if ok else 'OVER'}")
    result = {"benchmark": "load", "machine": platform.machine(), **rows, "pass": ok}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
