"""Fixtures of the browser test: the real `fixbook serve` on a loopback port, headless
Chromium driven by Debian's chromedriver, and the pack examples the test types.

Environment:
  FIXBOOK_BIN       the `fixbook` binary (default: target/debug/fixbook)
  FIXBOOK_SEEDS     folder of the seed guides (default: ../shared/seeds beside the checkout)
  FIXBOOK_BLESS=1   also write the screenshots to docs/screenshots/ (they always go to
                    target/browser-screenshots/)
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import tomllib
import urllib.request
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "packs" / "aws-iam-identity-center"
PACK_ID = "aws-iam-identity-center"
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
BIN = Path(os.environ.get("FIXBOOK_BIN", TARGET / "debug" / "fixbook"))
SEEDS = Path(os.environ.get("FIXBOOK_SEEDS", ROOT.parent / "shared" / "seeds"))
SEED_GUIDE = SEEDS / "aws-iam-identity-center-troubleshooting.txt"


def fixbook_env(home: Path) -> dict[str, str]:
    """The environment of every `fixbook` the test runs: the user's packs and caches left out."""
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_CACHE_HOME", "FIXBOOK_CACHE_DIR")}
    env.update(FIXBOOK_PACK_PATH="", HOME=str(home), XDG_DATA_HOME=str(home / "data"))
    return env


class Server:
    """A running `fixbook serve --listen 127.0.0.1:0`, stopped by its process id."""

    def __init__(self, config: str | None = None, args: tuple[str, ...] = ()):
        self.dir = Path(tempfile.mkdtemp(prefix="fixbook-browser-"))
        args = [str(BIN), "serve", "--listen", "127.0.0.1:0", "--no-cache", *args]
        if config is not None:
            path = self.dir / "server.toml"
            path.write_text(config)
            args += ["--config", str(path)]
        self.stderr = open(self.dir / "stderr.log", "wb")
        self.proc = subprocess.Popen(
            args, cwd=ROOT, env=fixbook_env(self.dir), stdout=subprocess.PIPE, stderr=self.stderr
        )
        line = self.proc.stdout.readline().decode().strip()
        if not line.startswith("listening on http://"):
            self.stop()
            raise RuntimeError(f"first line {line!r}: {(self.dir / 'stderr.log').read_text()}")
        self.url = line.removeprefix("listening on ").rstrip("/")

    def post(self, path: str, body: dict) -> dict:
        """A JSON API call, as any client makes it."""
        req = urllib.request.Request(
            self.url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.load(resp)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def server():
    s = Server()
    yield s
    s.stop()


def new_driver(width: int = 1200, height: int = 820) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in (
        "--headless=new",
        "--no-sandbox",  # the test may run as root (CI)
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--hide-scrollbars",
        f"--window-size={width},{height}",
        "--force-device-scale-factor=1",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(30)
    return driver


@pytest.fixture()
def browser():
    d = new_driver()
    yield d
    d.quit()


def examples(name: str, pack: str = PACK_ID) -> list[dict]:
    """The examples of one of a shipped pack's test files (`search`, `diagnosis`, …)."""
    with open(ROOT / "packs" / pack / "tests" / f"{name}.toml", "rb") as f:
        return tomllib.load(f)["examples"]


def squash(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").split()).lower()


@pytest.fixture(scope="session")
def seed_errors() -> list[dict]:
    """The pack's search examples whose text is quoted from the seed guide (its errors and
    section titles), each with the entry it must find."""
    found = [e for e in examples("search") if "expect" in e or "expect_any" in e]
    if SEED_GUIDE.is_file():
        guide = squash(SEED_GUIDE.read_text())
        found = [e for e in found if squash(e["text"]) in guide]
    else:  # a checkout without the seeds beside it: the examples that quote a section title
        found = [e for e in found if "section title" in e["name"] or "exact" in e["name"]]
    assert len(found) >= 5, "too few seed examples to test with"
    return found


def search_json(text: str) -> dict:
    home = Path(tempfile.mkdtemp(prefix="fixbook-browser-cli-"))
    try:
        out = subprocess.run(
            [str(BIN), "search", "--json", text],
            cwd=ROOT, env=fixbook_env(home), capture_output=True,
        )
        # exit code 1: nothing matched (the answer is printed all the same)
        assert out.returncode in (0, 1), out.stderr.decode()
        out = out.stdout
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return json.loads(out)


@pytest.fixture(scope="session")
def unrelated_texts() -> list[str]:
    """Negative examples of the pack that `fixbook search --json` matches nothing for."""
    texts = [e["text"] for e in examples("negatives") if e.get("expect_none")]
    unmatched = [t for t in texts[:8] if not search_json(t)["matches"]]
    assert unmatched, "every negative example matches something in some pack"
    return unmatched[:2]
