"""The local MLflow UI in Debian's headless Chromium, driven by Playwright: a sweep's runs shown, its trials compared.

Playwright (requirements-dev.txt) drives the system's /usr/bin/chromium (`make setup` installs Debian's
package): no browser is downloaded. The selectors are MLflow 3.18.0's UI (requirements-mlflow.txt).
"""

from __future__ import annotations

import json
import shutil
import urllib.parse
import urllib.request
from pathlib import Path

# Debian's package (make setup installs it), else what other systems call it (Ubuntu, GitHub's runners).
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
LOAD_TIMEOUT_MS = 60_000
VIEWPORT = {"width": 1400, "height": 900}


def chromium_path() -> str | None:
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


def _browser(playwright):
    executable = chromium_path()
    if executable is None:
        raise RuntimeError("no chromium on PATH: `make setup` installs Debian's chromium package")
    # --no-sandbox: Chromium's sandbox needs user namespaces, which containers (and root) often lack.
    return playwright.chromium.launch(executable_path=executable, args=["--no-sandbox", "--disable-dev-shm-usage"])


def _api(base_url: str, path: str, body: dict | None = None, query: dict | None = None) -> dict:
    url = f"{base_url}/api/2.0/mlflow/{path}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def experiment_id(base_url: str, experiment_name: str) -> str:
    return _api(base_url, "experiments/get-by-name", query={"experiment_name": experiment_name})["experiment"][
        "experiment_id"
    ]


def runs_page_text(base_url: str, experiment_name: str, parent_run_name: str) -> str:
    """The experiment's runs page as rendered, with the execution's nested runs expanded (the UI folds
    a parent's runs under it): the text a user reads."""
    from playwright.sync_api import sync_playwright

    page_url = f"{base_url}/#/experiments/{experiment_id(base_url, experiment_name)}/runs"
    with sync_playwright() as playwright:
        browser = _browser(playwright)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(page_url)
            parent = page.get_by_text(parent_run_name, exact=True).first
            parent.wait_for(timeout=LOAD_TIMEOUT_MS)
            # The run name cell's first button unfolds the parent's runs.
            parent.locator("xpath=ancestor::*[@role='gridcell'][1]").locator("button").first.click()
            page.wait_for_timeout(1000)
            return page.inner_text("body")
        finally:
            browser.close()


def compare_trials(base_url: str, experiment_name: str, trial_names: list[str], destination: Path, *, x: str) -> Path:
    """A PNG of MLflow's compare page for the trials' runs: the scatter plot of test:accuracy by `x`."""
    from playwright.sync_api import sync_playwright

    experiment = experiment_id(base_url, experiment_name)
    found = _api(base_url, "runs/search", body={"experiment_ids": [experiment], "max_results": 1000})
    by_name = {run["info"]["run_name"]: run["info"]["run_id"] for run in found.get("runs") or []}
    missing = [name for name in trial_names if name not in by_name]
    if missing:
        raise RuntimeError(f"no MLflow run for {', '.join(missing)} in experiment {experiment_name}")
    ids = [by_name[name] for name in trial_names]
    page_url = (
        f"{base_url}/#/compare-runs?runs={urllib.parse.quote(json.dumps(ids))}"
        f"&experiments={urllib.parse.quote(json.dumps([experiment]))}"
    )
    with sync_playwright() as playwright:
        browser = _browser(playwright)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(page_url)
            page.get_by_text("Scatter Plot", exact=True).wait_for(timeout=LOAD_TIMEOUT_MS)
            page.get_by_text("Scatter Plot", exact=True).click()
            # The X axis starts on the first parameter; the Y axis on the first metric, test:accuracy.
            page.locator("text=X-axis:").locator("xpath=following::*[@role='combobox'][1]").click(force=True)
            page.get_by_role("option", name=x, exact=True).click()
            close = page.get_by_role("button", name="Close")  # MLflow's assistant panel
            if close.count():
                close.first.click()
            page.wait_for_timeout(1500)
            destination.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(destination))
        finally:
            browser.close()
    return destination
