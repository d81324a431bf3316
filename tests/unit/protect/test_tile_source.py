"""The CSP source of a basemap tile URL template (protect.headers.tile_source)."""

from __future__ import annotations

import pytest

from civicgrid.protect.headers import page_policy, tile_source


@pytest.mark.parametrize(
    ("template", "source"),
    [
        ("", ""),
        ("https://tiles.city.gov.cn/{z}/{x}/{y}.png", "https://tiles.city.gov.cn"),
        ("https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=1&x={x}", "https://*.tianditu.gov.cn"),
        ("http://{s}.tile.example.org:8080/{z}/{x}/{y}.png", "http://*.tile.example.org:8080"),
    ],
)
def test_the_origin_of_the_template(template: str, source: str) -> None:
    assert tile_source(template) == source


@pytest.mark.parametrize(
    "template",
    ["ftp://tiles.example/{z}.png", "https://tiles.{s}.example/{z}.png", "https://u@x.cn/{z}"],
)
def test_what_a_csp_cannot_express_is_refused(template: str) -> None:
    with pytest.raises(ValueError, match="map tile URL"):
        tile_source(template)


def test_the_policy_names_the_extra_image_origin_only_in_img_src() -> None:
    policy = page_policy(("https://*.tianditu.gov.cn",))
    assert "img-src 'self' data: blob: https://*.tianditu.gov.cn;" in policy
    assert policy.count("tianditu") == 1
    assert page_policy() == page_policy(())
    assert "tianditu" not in page_policy()
