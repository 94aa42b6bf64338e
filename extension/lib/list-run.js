/*
 * Pure logic of one list run: which page to read next, whether the run is complete, and the
 * list snapshot payload for POST /api/ext/v1/lists (DESIGN.md).
 *
 * Classic script on purpose (no import/export), like the extractors it consumes. No I/O, no
 * clock: the runner passes timestamps in.
 *
 * A "read" is {url, final_url, result} where result is MHC.extractListPage(...) of that page
 * (a bare result is accepted too). Reads are in reading order.
 *
 *   MHC.nextListUrl(kind, reads) -> url | null          null = stop reading
 *   MHC.evaluateListRun(kind, reads) -> {complete, abort_reason, usernames, expected_total}
 *   MHC.buildListSnapshot({kind, account, started_at, finished_at, reads}) -> snapshot
 *   MHC.startListRun(kind) -> run                        the same, one read at a time:
 *     run.add(read) -> snapshot page | null             (null: nothing to report, or already stopped)
 *     run.nextUrl() -> url | null,  run.verdict() -> as evaluateListRun,
 *     run.progress() -> {pages, names, lastPages: {list: last page}}
 *   MHC.LIST_ABORT_REASONS -> {code: meaning}
 *
 * A run object keeps the names seen (to spot a repeated page) but not the pages: a runner reading
 * a 1M-name list sends its pages on as it goes (in parts) instead of holding every page to the end.
 *
 * Removals (unfollows) are only taken from complete snapshots, so every doubt here makes the
 * run incomplete rather than guessing.
 */
(function (root) {
  "use strict";

  const MHC = (root.MHC = root.MHC || {});

  const ORIGIN = "https://chaturbate.com";

  // 90 rooms a page: 20,000 pages is 1.8M names, above the biggest followers list (a 1M-name
  // list is 11,112 pages); the cap only guarantees a runner can never loop forever on a broken
  // pagination.
  const MAX_PAGES_PER_LIST = 20000;

  // Reading order per run kind. Online first: a room that goes offline during the run then
  // shows up on both lists (deduped) instead of on neither.
  const RUN_LISTS = {
    following: ["online", "offline"],
    followers: ["followers"],
  };

  // Page 1 of the online list is the bare URL the site's own links use; every other page
  // carries ?page=N (pagination starts at 1).
  const LIST_URLS = {
    online: (page) => (page === 1 ? "/followed-cams/" : `/followed-cams/?page=${page}`),
    offline: (page) => `/followed-cams/offline/?page=${page}`,
    followers: (page) => `/accounts/followers/?page=${page}`,
  };

  const LIST_ABORT_REASONS = {
    login: "a page ended on the login page (logged out)",
    challenge: 'a page was a "Just a moment..." challenge',
    unrecognised: "a page had no main list container, or was not the list the run reads",
    repeated_page: "a page repeated names already read on this list, or the site served another page",
    empty_page: "a page that should hold names held none",
    missing_pages: "not every page 1..last_page of every list was read",
    total_unknown: "no header (ONLINE/TOTAL) to check the following list against",
    total_mismatch: "the names read do not add up to the header TOTAL re-read at the end",
    total_changed: "the names add up, but the header TOTAL changed during the run",
  };

  // Reasons that end the run at once: nothing after such a page can be trusted or reached.
  const STOP_STATUSES = new Set(["login", "challenge", "unrecognised"]);

  function resultOf(read) {
    return read && read.result ? read.result : read;
  }

  function newState(kind) {
    const lists = {};
    for (const list of RUN_LISTS[kind] || []) lists[list] = { seen: new Set(), pages: new Set(), lastPage: null };
    return { kind, lists, union: [], unionSet: new Set(), headers: [], stop: null, soft: null, used: 0 };
  }

  // Why this page must end the run, or null.
  function stopReason(state, r) {
    if (!r || STOP_STATUSES.has(r.status)) return (r && r.status) || "unrecognised";
    if (r.status !== "ok" || r.kind !== state.kind || !state.lists[r.list]) return "unrecognised";
    // Out-of-range pages: the site serves the last page again and marks it active.
    if ((r.active_page ?? r.page) !== r.page) return "repeated_page";
    const seen = state.lists[r.list].seen;
    if (r.usernames.length && r.usernames.every((n) => seen.has(n))) return "repeated_page";
    return null;
  }

  // An empty page is only believable as the single page of a list the header says is empty
  // (no followed room online, or none offline); followers have no count, so an empty single
  // followers page (no followers yet) is believed.
  function isUnexpectedlyEmpty(r) {
    if (r.usernames.length) return false;
    const lastPage = r.last_page ?? null;
    if (r.page !== 1 || (lastPage !== null && lastPage !== 1)) return true;
    if (r.list === "followers") return false;
    const h = r.header_following;
    if (!h) return true;
    return r.list === "online" ? h.online !== 0 : h.total - h.online > 0;
  }

  function absorb(state, r) {
    const list = state.lists[r.list];
    list.pages.add(r.page);
    // An empty page 1 without pagination is a whole (empty) list of one page.
    const last = r.last_page ?? (!r.usernames.length && r.page === 1 ? 1 : null);
    if (last !== null) list.lastPage = Math.max(list.lastPage || 0, last);
    for (const name of r.usernames) {
      list.seen.add(name);
      if (!state.unionSet.has(name)) {
        state.unionSet.add(name);
        state.union.push(name);
      }
    }
    if (r.header_following) state.headers.push(r.header_following);
    if (!state.soft && isUnexpectedlyEmpty(r)) state.soft = "empty_page";
  }

  function missingPages(state) {
    return Object.values(state.lists).some((list) => {
      if (list.lastPage === null) return true;
      for (let p = 1; p <= list.lastPage; p += 1) if (!list.pages.has(p)) return true;
      return false;
    });
  }

  // |online ∪ offline| must equal the header TOTAL as re-read at the end (the last page's
  // header), and that TOTAL must not have moved since the first page: a follow and an unfollow
  // during the run could otherwise cancel out.
  function totalProblem(state) {
    if (state.kind !== "following") return null;
    if (!state.headers.length) return "total_unknown";
    const final = state.headers[state.headers.length - 1].total;
    if (state.union.length !== final) return "total_mismatch";
    return state.headers.every((h) => h.total === final) ? null : "total_changed";
  }

  function expectedTotal(state) {
    const headers = state.headers;
    return state.kind === "following" && headers.length ? headers[headers.length - 1].total : null;
  }

  function verdictOf(state) {
    let reason = state.stop || state.soft;
    if (!reason && missingPages(state)) reason = "missing_pages";
    if (!reason) reason = totalProblem(state);
    return {
      complete: reason === null,
      abort_reason: reason,
      usernames: state.union,
      expected_total: expectedTotal(state),
    };
  }

  function listPageUrl(list, page) {
    return ORIGIN + LIST_URLS[list](page);
  }

  // The snapshot payload's page for a read, or null for one that names no list page.
  function pageOf(read, r) {
    if (!r || !r.list || r.page === null) return null;
    return {
      list: r.list,
      page: r.page,
      url: read.url || null,
      final_url: read.final_url || read.url || null,
      usernames: r.usernames.slice(),
    };
  }

  function startListRun(kind) {
    const state = newState(kind);
    let last = null; // the last page taken in
    return {
      add(read) {
        if (state.stop) return null;
        const r = resultOf(read);
        state.used += 1;
        state.stop = stopReason(state, r);
        if (!state.stop) {
          absorb(state, r);
          last = r;
        }
        // The page that stopped the run is reported too, so the service can re-check it.
        return pageOf(read, r);
      },
      nextUrl() {
        const order = RUN_LISTS[kind];
        if (!order || state.stop) return null;
        if (!last) return listPageUrl(order[0], 1);
        const lastPage = state.lists[last.list].lastPage || 1;
        if (last.page < lastPage && last.page < MAX_PAGES_PER_LIST) return listPageUrl(last.list, last.page + 1);
        const nextList = order[order.indexOf(last.list) + 1];
        return nextList ? listPageUrl(nextList, 1) : null;
      },
      verdict() {
        return verdictOf(state);
      },
      progress() {
        const lastPages = {};
        for (const [list, info] of Object.entries(state.lists)) lastPages[list] = info.lastPage;
        return { pages: state.used, names: state.unionSet.size, lastPages };
      },
    };
  }

  function evaluateListRun(kind, reads) {
    const run = startListRun(kind);
    for (const read of reads || []) run.add(read);
    return run.verdict();
  }

  function nextListUrl(kind, reads) {
    const run = startListRun(kind);
    for (const read of reads || []) run.add(read);
    return run.nextUrl();
  }

  // The payload keeps DESIGN.md's shape exactly (the service validates with extra="forbid").
  // Every page read up to the one that stopped the run is listed, so the service can re-check.
  function buildListSnapshot({ kind, account, started_at, finished_at, reads }) {
    const run = startListRun(kind);
    const pages = (reads || []).map((read) => run.add(read)).filter((page) => page !== null);
    const verdict = run.verdict();
    return {
      kind,
      account,
      started_at,
      finished_at,
      expected_total: verdict.expected_total,
      complete: verdict.complete,
      abort_reason: verdict.abort_reason,
      pages,
    };
  }

  MHC.LIST_ABORT_REASONS = LIST_ABORT_REASONS;
  MHC.MAX_PAGES_PER_LIST = MAX_PAGES_PER_LIST;
  MHC.listPageUrl = listPageUrl;
  MHC.nextListUrl = nextListUrl;
  MHC.evaluateListRun = evaluateListRun;
  MHC.buildListSnapshot = buildListSnapshot;
  MHC.startListRun = startListRun;
})(globalThis);
