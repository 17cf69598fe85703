"""The board's modules in the browser that runs them (imported from the served page): every text in
all three languages, events applied at most once, and a store and DOM that stay bounded over a
long run of events."""

from __future__ import annotations

import pytest

from tests.board.support import open_board

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
async def page(server, context):
    board = await open_board(context, server, None)  # the sign-in screen: no key needed to import modules
    await board.page.wait_for_selector("#signin", state="visible")
    return board.page


async def test_every_text_has_all_three_languages_with_the_same_placeholders(page):
    problems = await page.evaluate(
        """async () => {
        const { MESSAGES, LANGUAGES } = await import('/board/assets/i18n.js');
        const holes = (s) => (s.match(/\\{\\w+\\}/g) || []).sort().join();
        const out = [];
        for (const [key, entry] of Object.entries(MESSAGES)) {
          for (const lang of LANGUAGES) {
            if (typeof entry[lang] !== 'string' || !entry[lang].trim()) out.push(`${key}: no ${lang}`);
            else if (holes(entry[lang]) !== holes(entry.en)) out.push(`${key}: ${lang} placeholders differ`);
          }
          for (const lang of Object.keys(entry)) if (!LANGUAGES.includes(lang)) out.push(`${key}: stray ${lang}`);
        }
        return out;
    }"""
    )
    assert problems == []
    # And every label the page asks for exists (no raw key ever reaches the screen).
    missing = await page.evaluate(
        """async () => {
        const { MESSAGES } = await import('/board/assets/i18n.js');
        const wanted = [...document.querySelectorAll('[data-i18n]')].map(n => n.dataset.i18n);
        for (const c of ['NEW', 'ACKNOWLEDGED', 'IN_PROGRESS', 'ESCALATED', 'RESOLVED']) wanted.push(`column.${c}`);
        const kinds = ['INQUIRY', 'COMPLAINT', 'QUALITY_ISSUE', 'SUGGESTION', 'SERVICE_REQUEST'];
        for (const k of kinds) wanted.push(`kind.${k}`);
        for (const p of ['LOW', 'NORMAL', 'HIGH', 'URGENT']) wanted.push(`priority.${p}`);
        for (const s of ['ON_TRACK', 'AT_RISK', 'BREACHED', 'MET']) wanted.push(`sla.${s}`);
        for (const e of ['ORDER_HANDED_OFF', 'ORDER_CONFIRMED', 'ORDER_RETURNED', 'ORDER_CANCELLED', 'TICKET_ESCALATED',
                         'ESCALATION_CLOSED', 'SLA_AT_RISK', 'SLA_BREACHED']) wanted.push(`event.${e}`);
        return wanted.filter(k => !(k in MESSAGES));
    }"""
    )
    assert missing == []


async def test_the_language_follows_lang_then_the_browser(page):
    chosen = await page.evaluate(
        """async () => {
        const { chooseLanguage } = await import('/board/assets/i18n.js');
        return [chooseLanguage('zh-Hant', ['en']), chooseLanguage(null, ['zh-TW']), chooseLanguage(null, ['zh-CN']),
                chooseLanguage(null, ['fr-FR', 'zh-HK']), chooseLanguage(null, ['fr']), chooseLanguage('xx', ['zh'])];
    }"""
    )
    assert chosen == ["zh-Hant", "zh-Hant", "zh-Hans", "zh-Hant", "en", "zh-Hans"]


STORE_SETUP = """
  const { BoardStore } = await import('/board/assets/store.js');
  const { parseFilters } = await import('/board/assets/tickets.js');
  const ticket = (id, status, extra = {}) => ({ id, number: id, subject: 's', kind: 'COMPLAINT', priority: 'HIGH',
    status, createdAt: '2026-12-01T00:00:00Z', firstRespondedAt: null, resolvedAt: null, customer: { name: 'c' },
    assignee: null, createdBy: { department: 'SERVICE' }, escalation: null,
    sla: { firstResponseDueAt: '2030-01-01T00:00:00Z', resolutionDueAt: '2030-01-02T00:00:00Z',
           firstResponseState: 'ON_TRACK', resolutionState: 'ON_TRACK' }, ...extra });
"""


async def test_events_are_applied_once_and_never_move_a_card_back(page):
    result = await page.evaluate(
        """async () => {"""
        + STORE_SETUP
        + """
        const store = new BoardStore({ filters: parseFilters(new URLSearchParams('')).filters });
        store.reset('10', [ticket('a', 'NEW')]);
        const out = [];
        out.push(store.applyTicketEvent({ cursor: '9', type: 'TICKET_UPDATED', ticket: ticket('a', 'CLOSED') }));
        out.push(store.applyTicketEvent({ cursor: '11', type: 'TICKET_UPDATED', ticket: ticket('a', 'ACKNOWLEDGED') }));
        out.push(store.applyTicketEvent({ cursor: '11', type: 'TICKET_UPDATED', ticket: ticket('a', 'ACKNOWLEDGED') }));
        out.push(store.applyTicketEvent({ cursor: '12', type: 'TICKET_OPENED', ticket: ticket('b', 'NEW') }));
        out.push(store.applyTicketEvent({ cursor: '12', type: 'TICKET_OPENED', ticket: ticket('b', 'NEW') }));
        out.push(store.applyTicketEvent({ cursor: '13', type: 'TICKET_ESCALATED', ticket: ticket('b', 'ESCALATED') }));
        out.push(store.applyTicketEvent({ cursor: '13', type: 'TICKET_ESCALATED', ticket: ticket('b', 'ESCALATED') }));
        // An SLA alert of another stream, older than the card's state: the card keeps its newer state.
        out.push(store.applySlaAlert({ cursor: '12', type: 'SLA_AT_RISK', ticket: ticket('b', 'NEW') }));
        return { applied: out, cards: [...store.cards.values()].map(c => [c.ticket.id, c.ticket.status]),
                 strip: store.announcements.map(a => a.type), after: store.after('board') };
    }"""
    )
    assert result["applied"] == [False, True, False, True, False, True, False, True]
    assert result["cards"] == [["a", "ACKNOWLEDGED"], ["b", "ESCALATED"]]
    assert result["strip"] == ["SLA_AT_RISK", "TICKET_ESCALATED"] and result["after"] == "13"


async def test_department_boards(page):
    shown = await page.evaluate(
        """async () => {"""
        + STORE_SETUP
        + """
        const { matches } = await import('/board/assets/tickets.js');
        const marketing = parseFilters(new URLSearchParams('department=MARKETING')).filters;
        const service = parseFilters(new URLSearchParams('department=service&priority=HIGH,urgent')).filters;
        const tickets = [
          ticket('by-service', 'NEW'),
          ticket('by-marketing', 'NEW', { createdBy: { department: 'MARKETING' } }),
          ticket('escalated', 'ESCALATED', { escalation: { status: 'OPEN' } }),
          ticket('low', 'NEW', { priority: 'LOW' }),
        ];
        const on = (filters) => tickets.filter(t => matches(t, filters)).map(t => t.id);
        return [on(marketing), on(service), parseFilters(new URLSearchParams('kind=NOPE')).problems];
    }"""
    )
    assert shown == [["by-marketing", "escalated"], ["by-service", "by-marketing", "escalated"], ["kind=NOPE"]]


async def test_a_long_run_of_events_keeps_the_store_and_the_dom_bounded(page):
    sizes = await page.evaluate(
        """async () => {"""
        + STORE_SETUP
        + """
        const { BoardView } = await import('/board/assets/view.js');
        const { COLUMNS } = await import('/board/assets/tickets.js');
        const { translator } = await import('/board/assets/i18n.js');
        const doc = document.implementation.createHTMLDocument('');
        const ids = ['filters', 'overflow', 'connection', 'clock', 'board', 'columns', 'announcements', 'signin',
                     'revoked'];
        for (const id of ids) {
          const node = doc.createElement('div'); node.id = id; doc.body.append(node);
        }
        let now = Date.parse('2026-12-07T00:00:00Z');
        const store = new BoardStore({ filters: parseFilters(new URLSearchParams('')).filters, now: () => now });
        const view = new BoardView(doc, translator('en'), 'en');
        view.setup(COLUMNS, store.filters, []);
        store.reset('0', []);
        const statuses = ['NEW', 'ACKNOWLEDGED', 'IN_PROGRESS', 'ESCALATED', 'RESOLVED', 'CLOSED'];
        const peak = { cards: 0, dom: 0, strip: 0 };
        // 30,000 events on 6,000 tickets, each walking through its statuses: a few weeks of a busy office.
        for (let i = 1; i <= 30000; i += 1) {
          const id = `t${Math.floor((i - 1) / 5)}`;
          const status = statuses[(i - 1) % 5 + (i % 10 === 0 ? 1 : 0)];
          const type = status === 'ESCALATED' ? 'TICKET_ESCALATED' : 'TICKET_UPDATED';
          store.applyTicketEvent({ cursor: String(i), type, occurredAt: new Date(now).toISOString(),
                                   ticket: ticket(id, status) });
          store.applyHandoff({ cursor: String(i), type: 'ORDER_HANDED_OFF', occurredAt: new Date(now).toISOString(),
                               order: { number: `O-${i}`, customer: { name: 'c' } } });
          now += 60 * 1000;
          if (i % 100 === 0) {
            store.sweep();
            view.render(store);
            peak.cards = Math.max(peak.cards, store.cards.size);
            peak.dom = Math.max(peak.dom, doc.querySelectorAll('.card').length, view.cards.size);
            peak.strip = Math.max(peak.strip, store.announcements.length, doc.querySelectorAll('.announcement').length);
          }
        }
        return { ...peak, final: store.cards.size, domFinal: doc.querySelectorAll('.card').length };
    }"""
    )
    # Open tickets beyond the cap are counted out; resolved ones leave after 30 minutes.
    assert sizes["cards"] <= 300 and sizes["final"] <= 300, sizes
    assert sizes["dom"] <= 5 * 30 and sizes["domFinal"] <= 5 * 30, sizes
    assert sizes["strip"] <= 12, sizes
