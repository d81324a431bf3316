"""Fixtures for the dispatch tests: a small constructed Chinese corpus and a model trained on it.

The corpus is written here (never taken from shared evaluation data): four categories, a few
dozen texts built from place × complaint phrasings, so a correct model separates them easily.
"""

from __future__ import annotations

import itertools

import pytest

from civicgrid.dispatch.classifier import TextClassifier, train

PLACES = ["幸福小区3号楼", "朝阳路和平街口", "东城区花园社区", "河西新村南门"]
PHRASES = {
    "water": ["一直停水，没有自来水用", "水压太低，高层用不上水", "自来水发黄有异味，水质差"],
    "noise": [
        "工地夜间施工噪音很大，吵得睡不着",
        "楼下酒吧音响太吵，噪声扰民",
        "凌晨还在施工，机器轰鸣",
    ],
    "garbage": [
        "垃圾堆积好几天没人清运，臭味很重",
        "垃圾桶满了溢出来没人管",
        "路边堆放大量生活垃圾",
    ],
    "parking": [
        "车辆乱停乱放，占道停车堵路",
        "小区停车位被外来车辆占用",
        "有僵尸车长期停放占用车位",
    ],
}


def corpus() -> list[tuple[str, str]]:
    """(text, label) pairs: every place × phrase, with a varying polite frame."""
    frames = ["{p}{c}，请尽快处理。", "反映一下：{p}{c}。", "您好，{p}{c}，希望有关部门解决。"]
    pairs = []
    for (label, complaints), frame in zip(PHRASES.items(), itertools.cycle(frames)):
        for place, complaint in itertools.product(PLACES, complaints):
            pairs.append((frame.format(p=place, c=complaint), label))
    return pairs


@pytest.fixture(scope="session")
def small_corpus() -> list[tuple[str, str]]:
    return corpus()


@pytest.fixture(scope="session")
def small_model(small_corpus: list[tuple[str, str]]) -> TextClassifier:
    return train(small_corpus)
