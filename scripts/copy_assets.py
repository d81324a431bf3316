"""Copy the front-end assets installed by ``npm ci`` into the web app's static/vendor folder, and
the browser tests' own assets (axe-core, injected by the tests, never served) into
tests/e2e/vendor."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "src" / "civicgrid" / "web" / "static" / "vendor"
FILES = {
    "htmx.org/dist/htmx.min.js": "htmx.min.js",
    "echarts/dist/echarts.min.js": "echarts.min.js",
    "leaflet/dist/leaflet.js": "leaflet.js",
    "leaflet/dist/leaflet.css": "leaflet.css",
    # The API documentation page (/api/v1/docs) works without internet access.
    "swagger-ui-dist/swagger-ui-bundle.js": "swagger-ui-bundle.js",
    "swagger-ui-dist/swagger-ui.css": "swagger-ui.css",
}
TEST_VENDOR = ROOT / "tests" / "e2e" / "vendor"
TEST_FILES = {
    "axe-core/axe.min.js": "axe.min.js",
}


def main() -> int:
    modules = ROOT / "node_modules"
    VENDOR.mkdir(parents=True, exist_ok=True)
    for src, dst in FILES.items():
        path = modules / src
        if not path.exists():
            sys.stderr.write(f"missing {path}: run `npm ci` first\n")
            return 2
        shutil.copyfile(path, VENDOR / dst)
    TEST_VENDOR.mkdir(parents=True, exist_ok=True)
    for src, dst in TEST_FILES.items():
        path = modules / src
        if not path.exists():
            sys.stderr.write(f"missing {path}: run `npm ci` first\n")
            return 2
        shutil.copyfile(path, TEST_VENDOR / dst)
    images = modules / "leaflet" / "dist" / "images"
    shutil.copytree(images, VENDOR / "images", dirs_exist_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
