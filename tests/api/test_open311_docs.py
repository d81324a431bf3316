"""The curl examples of docs/interop.md (Open311 section) are replayed against the app: each
must answer 200 with the documented form, so the page cannot drift from the server."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.api.test_open311_api import Open311World

from civicgrid.config import PROJECT_ROOT, Settings

DOC = PROJECT_ROOT / "docs" / "interop.md"


@dataclass
class Curl:
    """One curl command line: method, URL and form fields."""

    method: str = "GET"
    url: str = ""
    data: list[tuple[str, str]] = field(default_factory=list)


def curl_lines(path: Path) -> list[str]:
    """The ``curl`` lines inside the Open311 section's shell blocks."""
    text = path.read_text(encoding="utf-8")
    section = text.split("## Open311 GeoReport v2", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    return [line for block in blocks for line in block.splitlines() if line.startswith("curl ")]


def parse_curl(line: str, variables: dict[str, str]) -> Curl:
    for name, value in variables.items():
        line = line.replace(f"${name}", value)
    words = shlex.split(line)[1:]
    out = Curl()
    i = 0
    while i < len(words):
        word = words[i]
        if word == "-s":
            i += 1
        elif word == "-X":
            out.method = words[i + 1]
            i += 2
        elif word in ("-d", "--data-urlencode"):
            key, _, value = words[i + 1].partition("=")
            out.data.append((key, value))
            i += 2
        else:
            assert word.startswith("http://127.0.0.1:8000/"), word
            parts = urlsplit(word)
            out.url = parts.path + (f"?{parts.query}" if parts.query else "")
            i += 1
    if out.data and out.method == "GET":
        out.method = "POST"
    return out


def test_the_doc_has_an_example_of_every_call() -> None:
    lines = curl_lines(DOC)
    assert len(lines) >= 6
    for call in ("services.json", "services/010101", "requests.json", "requests/", "requests.xml"):
        assert any(call in line for line in lines), call
    assert any("servicerequestupdates" in line for line in lines)


def test_the_doc_examples_run_against_the_server(
    client: TestClient, session: Session, now: datetime, settings: Settings
) -> None:
    o311 = Open311World(session, now, settings)
    variables = {"KEY": o311.key}
    filed = 0
    for line in curl_lines(DOC):
        if "$ID" in line and "ID" not in variables:
            raise AssertionError("the doc reads a request before filing one")
        call = parse_curl(line, variables)
        if call.method == "POST":
            response = client.post(call.url, data=dict(call.data))
        else:
            response = client.get(call.url)
        assert response.status_code == 200, (line, response.text)
        if call.method == "POST":
            filed += 1
            variables["ID"] = response.json()[0]["service_request_id"]
        if call.url.split("?")[0].endswith(".xml"):
            assert response.text.startswith("<?xml")
        else:
            assert response.json() is not None
    assert filed == 1
