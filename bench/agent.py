"""What one pass of the monitoring agent costs: campaigns watched, creatives hashed, ms per tick.

Runs N small campaigns for real (procedural provider, SQLite store), then times the agent's
first tick (every creative read back and perceptually hashed) and the steady ticks after it
(hashes kept; only the store is read). Prints a table and writes bench/results/agent.json.
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from creative_automation.agent.channels import Channel
from creative_automation.agent.loop import Agent
from creative_automation.agent.rules import Healing, Rules
from creative_automation.service import campaigns as actions
from creative_automation.service.context import build_service
from creative_automation.service.runner import CampaignRunner
from creative_automation.settings import Settings

RESULTS = Path(__file__).parent / "results"


def brief(i: int) -> dict[str, Any]:
    """One generated product × three formats × one locale."""
    return {
        "campaign_id": f"bench-{i}", "campaign_name": f"Bench {i}", "region": "Global",
        "audience": "Coffee drinkers", "message": "Fresh roast, every morning",
        "call_to_action": "Order", "formats": ["1:1", "9:16", "16:9"],
        "products": [{"id": "tonic", "name": "Citrus Tonic", "description": "a can"}],
        "brand": {"name": "Bench", "logo": "logo.png", "palette": ["#14503C", "#F2C14E"]},
    }  # fmt: skip


def logo_png() -> bytes:
    image = Image.new("RGBA", (400, 160), (0, 0, 0, 0))
    ImageDraw.Draw(image).rounded_rectangle((10, 10, 390, 150), 30, fill=(20, 80, 60, 255))
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaigns", type=int, default=20)
    parser.add_argument("--ticks", type=int, default=10)
    parser.add_argument("--out", type=Path, default=RESULTS / "agent.json")
    args = parser.parse_args()
    logo = logo_png()
    with tempfile.TemporaryDirectory() as tmp:
        service = build_service(Settings(data_dir=Path(tmp), queue="sqlite", workers=1))
        service.store.upgrade()
        runner = CampaignRunner(service, "bench")
        t0 = time.perf_counter()
        for i in range(args.campaigns):
            made = actions.submit(service, brief(i), creatives=3, uploads={"logo.png": logo})
            runner(made.campaign.id)
        setup_s = time.perf_counter() - t0
        runner.close()
        channels: list[Channel] = []  # sending is the channels' cost, not the agent's
        agent = Agent(service, Rules(healing=Healing(enabled=False)), channels)
        t0 = time.perf_counter()
        first = agent.tick()
        first_ms = (time.perf_counter() - t0) * 1000
        steady = []
        for _ in range(args.ticks):
            t0 = time.perf_counter()
            agent.tick()
            steady.append((time.perf_counter() - t0) * 1000)
        creatives = sum(len(service.store.creatives(c.id)) for c in
                        service.store.list_campaigns(limit=500).items)  # fmt: skip
        service.close()
    result = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "campaigns": args.campaigns,
        "creatives": creatives,
        "alerts_firing": len(first.raised),
        "first_tick_ms": round(first_ms, 1),
        "steady_tick_ms_median": round(statistics.median(steady), 1),
        "steady_tick_ms_per_campaign": round(statistics.median(steady) / args.campaigns, 2),
        "first_tick_ms_per_creative": round(first_ms / max(creatives, 1), 2),
        "setup_s": round(setup_s, 1),
    }
    print(f"{'campaigns':>10}{'creatives':>11}{'alerts':>8}{'first tick ms':>15}"
          f"{'steady ms':>11}{'ms/campaign':>13}")  # fmt: skip
    print(f"{args.campaigns:>10}{creatives:>11}{len(first.raised):>8}{first_ms:>15.1f}"
          f"{result['steady_tick_ms_median']:>11.1f}"
          f"{result['steady_tick_ms_per_campaign']:>13.2f}")  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
