"""Readable names for hot problems: the place and the problem's distinctive terms ("丽发新城：
搅拌站、噪音、粉尘"), never a fragment of a word or a word every appeal uses. Pure: no I/O, no
clock (jieba's dictionary is read once per process).

The miner ranks a group's words by how many members use them and how rare they are in the
whole corpus (``share² · idf``, :func:`civicgrid.insight.hotspots._explain`); this module
filters what is *shown*:

* **Terms** — not a function word, pronoun or generic verb (:data:`LABEL_STOP_WORDS`: 自己,
  有人, 解决不了, 看到 …), not a bare number, and not a piece of the place already shown
  shown ("新城" of 丽发新城, "滨河" of 伊景园滨河苑) nor a word containing it.
* **Places** — not a fragment the place rules cut out of a longer phrase ("题纳入社区" from
  "问题纳入社区", "域不宜临路" from "区域不宜临路": the word in front runs into the name), and
  not a name made of generic words ("严重影响小区"), holding a number ("18班幼儿园",
  "原建设30班小学") or starting with a count ("一条石长铁路").
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Final

from civicgrid.dispatch.features import words
from civicgrid.insight import places, similarity

# Words that pass the similarity step but name no problem when shown: pronouns, function
# words, generic verbs and phrases of complaint, vague quantities and times.
LABEL_STOP_WORDS: Final = frozenset(
    {
        "自己",
        "有人",
        "本人",
        "大家",
        "我家",
        "其他",
        "其它",
        "别人",
        "他人",
        "人家",
        "民众",
        "各级",
        "解决不了",
        "受不了",
        "特别",
        "真的",
        "实在",
        "确实",
        "根本",
        "不了",
        "看到",
        "看看",
        "知道",
        "觉得",
        "认为",
        "表示",
        "发现",
        "出现",
        "发生",
        "产生",
        "导致",
        "造成",
        "影响",
        "需要",
        "应该",
        "不能",
        "不会",
        "不要",
        "就要",
        "才能",
        "只能",
        "还有",
        "以及",
        "或者",
        "等等",
        "一些",
        "有些",
        "所有",
        "全部",
        "每个",
        "一下",
        "一次",
        "至今",
        "多年",
        "将来",
        "以后",
        "之前",
        "以前",
        "最近",
        "近期",
        "方向",
        "内容",
        "方面",
        "地方",
        "事情",
        "东西",
        "了解",
        "回复",
        "答复",
        "说明",
        "告知",
        "办理",
        "执行",
        "报告",
        "落实",
        "有限公司",
        "这样",
        "那么",
        "怎样",
        "这里",
        "那里",
        "这种",
        "能否",
        "哪里",
        "哪些",
        "多久",
        "多长时间",
        "什么时候",
        "可否",
        "是不是",
        "有没有",
        "是否是",
        "得到",
        "进入",
        "开始",
        "继续",
        "一样",
        "同样",
        "希望",
        "我们",
        "你们",
        "他们",
    }
)

_CONTEXT_CHARS: Final = 6
_MAX_CONTEXTS: Final = 9
_FUNCTION_CHARS: Final = "的了在是有和与及把被将对向"
_NUMERALS: Final = "一二两三四五六七八九十几这那该此每"
_MEASURES: Final = "条个座栋处家所片块间"


@functools.lru_cache(maxsize=65536)
def _tokens(text: str) -> tuple[str, ...]:
    """jieba tokens of ``text``, blanks included, so that their lengths add up to the text
    (remembered: the same few characters around a name recur across a group's texts)."""
    return tuple(similarity.jieba_tokens(text))


def _generic(word: str) -> bool:
    return word in LABEL_STOP_WORDS or word in similarity.STOP_WORDS


@functools.lru_cache(maxsize=65536)
def shows_problem(term: str) -> bool:
    """Whether ``term`` may stand in a label: not a stop word of either list, not a bare
    number or counted quantity, not a single character (remembered: groups share terms)."""
    return len(term) >= 2 and not _generic(term) and similarity.describes_problem(term)


@functools.lru_cache(maxsize=65536)
def generic_place(name: str) -> bool:
    """Whether a place name says nothing about where: its name before the suffix starts with a
    digit or Latin letter ("18班幼儿园"), or is made of generic words only ("严重影响小区").
    Remembered: a mining run asks about the same few thousand names for every group."""
    if name.startswith("#") and name[1:].isdigit():
        return False  # a region of the register, named by its id until it is shown
    stem = places.stem_of(name)
    if not stem or stem[0].isascii() or any(ch.isdigit() for ch in stem):
        return True
    if len(stem) > 2 and stem[0] in _NUMERALS and stem[1] in _MEASURES:
        return True  # "一条石长铁路": a count in front of the name
    tokens = [w for w in words(stem) if w.strip()]
    return all(_generic(w) or (len(w) == 1 and w in _FUNCTION_CHARS) for w in tokens)


def cut_from_phrase(name: str, contexts: Iterable[str]) -> bool:
    """Whether ``name`` is a fragment in most of the ``contexts`` (texts) that contain it
    (the first :data:`_MAX_CONTEXTS` of them): a
    word of the text starts before the name and runs into it ("问题" in "问题纳入社区" makes
    "题纳入社区" a fragment). Contexts without the name do not count."""
    seen = cut = 0
    for text in contexts:
        at = text.find(name)
        if at < 0:
            continue
        seen += 1
        if seen > _MAX_CONTEXTS:
            seen -= 1
            break
        start = max(0, at - _CONTEXT_CHARS)
        piece = text[start : at + len(name)]
        boundary = at - start
        pos = 0
        for token in _tokens(piece):
            if pos < boundary < pos + len(token):
                cut += 1
                break
            pos += len(token)
            if pos >= boundary:
                break
    return seen > 0 and 2 * cut > seen


def usable_places(names: Sequence[str], contexts: Sequence[str]) -> tuple[str, ...]:
    """``names`` (most named first) without fragments and generic names, order kept."""
    return tuple(n for n in names if not generic_place(n) and not cut_from_phrase(n, contexts))


def label_terms(terms: Sequence[str], place_names: Sequence[str], limit: int) -> tuple[str, ...]:
    """The first ``limit`` of ``terms`` (best first) that may stand in a label: no stop word,
    number or piece of one of ``place_names`` (nor a word containing one), no repeat of a term
    already taken or contained in one."""
    names = [p for p in place_names if p]
    out: list[str] = []
    for term in terms:
        if not shows_problem(term):
            continue
        if any(term in p or p in term for p in names):
            continue
        if any(term in t or t in term for t in out):
            continue
        out.append(term)
        if len(out) == limit:
            break
    return tuple(out)


def hot_label(
    place_names: Sequence[str], areas: Sequence[str], terms: Sequence[str], *, limit: int = 3
) -> str:
    """The label "place：term、term、term": the first usable named place (else the
    district), and up to ``limit`` terms that may stand in a label and are no piece of that
    place. Only the place when no term is left, only the terms when no place is known,
    "未命名问题" when neither."""
    named = next((p for p in place_names if not generic_place(p)), "")
    where = named or (areas[0] if areas else "")
    what = "、".join(label_terms(terms, [where], limit))
    if where and what:
        return f"{where}：{what}"
    return where or what or "未命名问题"


CITY_WIDE: Final = "全市"


def topic_label(phrase: str, areas: Sequence[str], terms: Sequence[str], *, limit: int = 2) -> str:
    """The label of a topic problem, which names no single place: "scope · phrase：term、term"
    — the district its members share (the first of ``areas``, which for a topic hold only
    districts named by at least half its members), else 全市; the topic phrase; and up to
    ``limit`` further terms that may stand in a label and are no piece of the phrase."""
    where = areas[0] if areas else CITY_WIDE
    what = "、".join(label_terms(terms, [phrase], limit))
    return f"{where} · {phrase}：{what}" if what else f"{where} · {phrase}"
