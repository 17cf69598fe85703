"""The message catalogs (services/locales) and the lazy texts of services/i18n.py.

Every msgid the code uses (extracted from the source tree with Babel, the way `make messages` does, so a
new message without translations fails here) has a non-empty, non-fuzzy translation in both catalogs,
with the same placeholders; and the language negotiation follows OPERATIONS.md "Language".
"""

from __future__ import annotations

import pickle

import pytest

from schema.permissions import REFUSALS
from services import i18n
from services.access import Action
from services.errors import ValidationFailed, invalid, not_found
from services.i18n import SIMPLIFIED, TRADITIONAL, T
from services.i18n_catalogs import extract, read


@pytest.fixture(scope="module")
def used() -> dict[str, list[tuple[str, int]]]:
    return extract()


@pytest.mark.parametrize("folder", ["zh_Hans", "zh_Hant"])
def test_every_message_the_code_uses_is_translated(used, folder):
    catalog = read(folder)
    problems = []
    for msgid, where in sorted(used.items()):
        entry = catalog.get(msgid)
        if entry is None or not entry.string:
            problems.append(f"{msgid!r} ({where[0][0]}:{where[0][1]}): no translation")
        elif entry.fuzzy:
            problems.append(f"{msgid!r}: fuzzy")
        elif i18n.placeholders(entry.string) != i18n.placeholders(msgid):
            problems.append(f"{msgid!r}: placeholders {sorted(i18n.placeholders(entry.string))}")
    assert not problems, f"{folder}: run `make messages` and translate:\n" + "\n".join(problems)


def test_extraction_finds_the_kinds_of_messages(used):
    # Literals given to the helpers, T(...) calls, and messages built from tables (state machines).
    for msgid in ("ticket", "{what} not found", "{label} is required", "hand off", "an order", "Period"):
        assert msgid in used, msgid
    assert all(refusal.msgid in used for refusal in REFUSALS.values())


def test_simplified_and_traditional_are_different_texts():
    hans, hant = read("zh_Hans"), read("zh_Hant")
    pairs = [(m.string, hant[m.id].string) for m in hans if m.id and hant.get(m.id) is not None]
    chinese = [(a, b) for a, b in pairs if any("\u4e00" <= ch <= "\u9fff" for ch in a)]
    different = [a for a, b in chinese if a != b]
    assert len(different) > 0.8 * len(chinese)
    # The vocabulary differs, not only the script.
    assert "账号" in i18n.translate(REFUSALS[Action.SALES].msgid, SIMPLIFIED)
    assert "帳號" in i18n.translate(REFUSALS[Action.SALES].msgid, TRADITIONAL)
    assert "数据" in i18n.translate(REFUSALS[Action.READ].msgid, SIMPLIFIED)
    assert "資料" in i18n.translate(REFUSALS[Action.READ].msgid, TRADITIONAL)


def test_every_action_has_a_readable_refusal():
    assert set(REFUSALS) == set(Action)
    for action, refusal in REFUSALS.items():
        assert refusal.startswith("forbidden: "), action
        assert "_" not in refusal, action  # words a person reads, not the action's code


def test_a_text_is_english_as_a_str_and_renders_in_each_language():
    message = T("{what} not found", what=T("ticket"))
    assert message == "ticket not found" and str(message) == "ticket not found"
    assert message.render("en") == "ticket not found"
    assert message.render(SIMPLIFIED) == "找不到工单"
    assert message.render(TRADITIONAL) == "找不到工單"
    assert pickle.loads(pickle.dumps(message)).render(TRADITIONAL) == "找不到工單"
    assert i18n.render("plain data", TRADITIONAL) == "plain data"  # data is never translated


def test_the_helpers_make_literals_messages():
    assert not_found("order", "orderId").message.render(SIMPLIFIED) == "找不到订单"
    both = ValidationFailed([invalid("unknown priority", "priority"), invalid("unknown role", "role")])
    assert both.message == "unknown priority; unknown role"
    assert i18n.render(both.message, TRADITIONAL) == "未知的優先級; 未知的角色"


def test_an_untranslated_message_falls_back_to_english():
    assert T("a sentence no catalog has ({n})", n=3).render(SIMPLIFIED) == "a sentence no catalog has (3)"


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "en"),
        ("", "en"),
        ("zh", SIMPLIFIED),
        ("zh-CN", SIMPLIFIED),
        ("zh-Hans", SIMPLIFIED),
        ("zh-SG", SIMPLIFIED),
        ("zh-Hans-CN", SIMPLIFIED),
        ("zh-TW", TRADITIONAL),
        ("zh-HK", TRADITIONAL),
        ("zh-MO", TRADITIONAL),
        ("zh-Hant", TRADITIONAL),
        ("zh-Hant-TW", TRADITIONAL),
        ("zh_TW", TRADITIONAL),
        ("en-US", "en"),
        ("fr-FR, de", "en"),
        ("en;q=0.5, zh-TW;q=0.9", TRADITIONAL),
        ("zh-TW;q=0.4, zh-CN;q=0.8, en;q=0.6", SIMPLIFIED),
        ("en, zh-TW", "en"),  # equal q: the first listed
        ("fr, zh-HK;q=0.1", TRADITIONAL),  # the only one we have, however low
        ("zh-TW;q=0, en", "en"),  # q=0: not this one
        ("zh-TW;q=abc, zh-CN", SIMPLIFIED),  # a malformed q drops its tag only
        ("*", "en"),
    ],
)
def test_accept_language_negotiation(header, language):
    assert i18n.negotiate(header) == language


def test_the_default_language_is_the_fallback():
    assert i18n.negotiate(None, TRADITIONAL) == TRADITIONAL
    assert i18n.negotiate("fr", SIMPLIFIED) == SIMPLIFIED
    assert i18n.negotiate("en", SIMPLIFIED) == "en"
    assert i18n.supported("zh-TW") == TRADITIONAL
    with pytest.raises(ValueError, match="unsupported language"):
        i18n.supported("klingon")
