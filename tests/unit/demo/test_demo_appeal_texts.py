"""The demo appeal texts: Chinese, about their catalogue item, deterministic per seed."""

from __future__ import annotations

import random
import re

import pytest

from civicgrid.appeals.channels import AppealType
from civicgrid.demo.appeal_texts import ISSUES, Place, caller, compose, issues_for
from civicgrid.dispatch.catalogue import CatalogueItem, OwnerRule, load_default_catalogue

LEAVES = load_default_catalogue().leaves()
CJK = re.compile(r"[\u4e00-\u9fff]")
PLACE = Place("幸福路12号院3号楼", "枫林苑社区", "东湖街道")


def _mentions_topic(item: CatalogueItem, text: str) -> bool:
    return item.name in text or any(word in text for word in item.keywords)


def test_every_leaf_of_the_catalogue_has_several_descriptions_naming_its_topic() -> None:
    assert {i.code for i in LEAVES} == set(ISSUES)
    for item in LEAVES:
        descriptions = issues_for(item)
        assert len(descriptions) >= 2, item.code
        assert len(set(descriptions)) == len(descriptions), item.code
        for text in descriptions:
            assert _mentions_topic(item, text), (item.code, text)


@pytest.mark.parametrize("appeal_type", list(AppealType))
def test_every_leaf_yields_chinese_text_about_its_topic(appeal_type: AppealType) -> None:
    rng = random.Random(7)
    for item in LEAVES:
        for place in (PLACE, None):
            text = compose(item, appeal_type, rng, place)
            assert text.title.strip(), item.code
            assert len(CJK.findall(text.content)) >= 10, (item.code, text.content)
            assert _mentions_topic(item, text.title + text.content), (item.code, text)
            assert "{" not in text.content, text.content
            assert len(text.title) <= 200


def test_the_place_appears_in_the_text() -> None:
    item = next(i for i in LEAVES if i.code == "010101")
    text = compose(item, AppealType.COMPLAINT, random.Random(1), PLACE)
    assert PLACE.address in text.title + text.content


def test_an_item_has_several_distinct_wordings() -> None:
    rng = random.Random(3)
    item = next(i for i in LEAVES if i.code == "040401")
    contents = {compose(item, AppealType.COMPLAINT, rng, PLACE).content for _ in range(40)}
    assert len(contents) >= 10


def test_texts_and_callers_are_deterministic_per_seed() -> None:
    def draw(seed: int) -> list[object]:
        rng = random.Random(seed)
        out: list[object] = []
        for item in LEAVES[:40]:
            out.append(compose(item, AppealType.HELP, rng, PLACE))
            out.append(caller(rng))
        return out

    assert draw(42) == draw(42)
    assert draw(42) != draw(43)


def test_callers_have_chinese_names_and_well_formed_mobile_numbers() -> None:
    rng = random.Random(5)
    for _ in range(200):
        name, phone = caller(rng)
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,3}", name), name
        assert re.fullmatch(r"1[3-9]\d{9}", phone), phone


def test_an_item_added_later_gets_a_generic_description() -> None:
    item = CatalogueItem(
        code="160101", parent_code="1601", level=3, name="无人机扰民",
        owner_rule=OwnerRule.DEPARTMENT, owner_unit="公安分局", default_level="L3",
        default_finish_days=7, requires_site_visit=False, whistle_candidate=False,
        keywords=("无人机", "噪音"),
    )  # fmt: skip
    text = compose(item, AppealType.COMPLAINT, random.Random(1), PLACE)
    assert "无人机" in text.content
