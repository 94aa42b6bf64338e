/*
 * Pure extraction of one Chaturbate list page (followed cams online/offline, followers).
 *
 * Classic script on purpose (no import/export): it runs as a content script and is injected
 * as-is by the Playwright tests, after lib/site.js (MHC.site: the username rule, login and
 * challenge pages, the header counts). It only reads the document it is given; no DOM writes, no I/O.
 *
 *   MHC.extractListPage(doc, url) -> {
 *     kind: "following" | "followers" | null,
 *     list: "online" | "offline" | "followers" | null,
 *     page: number | null,          // the ?page= asked for (1 when absent)
 *     last_page: number | null,     // highest page-number button of the main list
 *     active_page: number | null,   // the button the site marks active (differs on out-of-range pages)
 *     status: "ok" | "login" | "challenge" | "unrecognised",
 *     usernames: string[],          // main list only, lower-case, valid, deduped, page order
 *     header_following: {online, total} | null,
 *   }
 *   MHC.describeListUrl(url) -> {kind, list, page, login}   (a login URL keeps its list in ?next=)
 *
 * Test URLs: https://chaturbate.com/followed-cams/, .../followed-cams/offline/?page=2,
 * .../accounts/followers/?page=1. How to test: tests/browser/extractors/test_extract_list.py.
 */
(function (root) {
  "use strict";

  const MHC = (root.MHC = root.MHC || {});
  const { parseUrl, normaliseUsername, roomFromUrl, isLoginUrl, isChallenge, headerFollowing } = MHC.site;

  // List identity comes from the URL path; the page markup is shared between lists.
  const LIST_PATHS = [
    { re: /^\/followed-cams\/?$/, kind: "following", list: "online" },
    { re: /^\/followed-cams\/online\/?$/, kind: "following", list: "online" },
    { re: /^\/followed-cams\/offline\/?$/, kind: "following", list: "offline" },
    { re: /^\/accounts\/followers\/?$/, kind: "followers", list: "followers" },
  ];

  // Site chrome present on every page — fixtures: every lists/*.html and profiles/*.html.
  // The dropdown under the following tab repeats room cards (decoys).
  const HEADER_CHROME = '#header, .followedDropdown, [data-testid="following-tab"]';

  // A list URL that renders a login form — fixture: lists/edge-login-redirect.html.
  const LOGIN_FORM = 'form[action*="/auth/login"] input[type="password"]';

  // Followed cams — fixtures: lists/following-online.html, following-offline-p1.html,
  // following-offline-p2.html, edge-empty-main-list.html, edge-out-of-range-repeat.html.
  // The MAIN list is the first room-list-container under #roomlist_root; the second one
  // ("Community Controlled Shows", ?pageb=), .followRecommendations and the fallback
  // "Other Featured Cams" container carry the same card markup and must not be read.
  const FOLLOWING = {
    root: "#roomlist_root",
    container: '[data-testid="room-list-container"]',
    list: "ul.list.endless_page_template",
    cardRoom: "a[data-room]",
    cardLink: "a[href]",
    pagination: '[data-testid="room-list-pagination-component"]',
  };

  // Followers — fixtures: lists/followers-p1.html, followers-p2.html and
  // tests/fixtures/site/lists/followers-decoys.html. Each follower is
  // <a href="/<name>/" data-room="">; header anchors carry a non-empty data-room.
  // The container markup was never captured, so the whole body (minus chrome) is scanned.
  const FOLLOWERS = {
    markers: '[data-testid="followers-page"], .followers_list',
    anchor: 'a[data-room=""][href]',
    pagination: '[data-testid="room-list-pagination-component"]',
  };

  // Shared by both list kinds: the page-number buttons. The next button links to last+1 even
  // on the last page, so only the numbered buttons count.
  const PAGINATION = {
    button: 'a[data-testid="page-number-button"]',
    active: '.active > a[data-testid="page-number-button"]',
  };

  function pageParam(u) {
    const raw = u.searchParams.get("page");
    if (raw === null) return 1;
    const n = Number.parseInt(raw, 10);
    return Number.isFinite(n) ? n : null;
  }

  // Which list and page a URL stands for. A login redirect keeps the list it interrupted
  // in ?next=, so the run still knows which page failed.
  function describeUrl(url) {
    let u = parseUrl(url);
    const login = Boolean(u && isLoginUrl(u));
    if (login) u = parseUrl(u.searchParams.get("next") || "");
    const hit = u && LIST_PATHS.find((p) => p.re.test(u.pathname));
    return {
      login,
      kind: hit ? hit.kind : null,
      list: hit ? hit.list : null,
      page: hit ? pageParam(u) : null,
    };
  }

  function uniqueValid(raws) {
    const seen = new Set();
    const out = [];
    for (const raw of raws) {
      const name = normaliseUsername(raw);
      if (name && !seen.has(name)) {
        seen.add(name);
        out.push(name);
      }
    }
    return out;
  }

  function buttonNumber(a) {
    const u = parseUrl(a.getAttribute("href") || "");
    if (u && u.searchParams.has("page")) return pageParam(u);
    const n = Number.parseInt(a.textContent.trim(), 10);
    return Number.isFinite(n) ? n : null;
  }

  function readPagination(scope) {
    if (!scope) return { last_page: null, active_page: null };
    const numbers = Array.from(scope.querySelectorAll(PAGINATION.button), buttonNumber).filter((n) => n !== null);
    const active = scope.querySelector(PAGINATION.active);
    return {
      last_page: numbers.length ? Math.max(...numbers) : null,
      active_page: active ? buttonNumber(active) : null,
    };
  }

  function mainFollowingList(doc) {
    const rootEl = doc.querySelector(FOLLOWING.root);
    const container = rootEl && rootEl.querySelector(FOLLOWING.container);
    if (!container) return null;
    const list =
      container.querySelector(":scope > " + FOLLOWING.list) || container.querySelector(FOLLOWING.list);
    return list ? { container, list } : null;
  }

  // One name per card: data-room first, the card link's slug when data-room is missing.
  function cardName(li) {
    const room = Array.from(li.querySelectorAll(FOLLOWING.cardRoom))
      .map((a) => a.getAttribute("data-room"))
      .find((v) => v && v.trim());
    if (room) return room;
    const link = li.querySelector(FOLLOWING.cardLink);
    return link ? roomFromUrl(link.getAttribute("href")) : null;
  }

  function extractFollowing(doc) {
    const main = mainFollowingList(doc);
    if (!main) return null;
    const cards = Array.from(main.list.children).filter((el) => el.tagName === "LI");
    return {
      usernames: uniqueValid(cards.map(cardName)),
      ...readPagination(main.container.querySelector(FOLLOWING.pagination)),
    };
  }

  function followersPagination(doc) {
    // A hidden #roomlist_root template may sit on any page with its own pagination; skip it.
    return Array.from(doc.querySelectorAll(FOLLOWERS.pagination)).find((el) => !el.closest(FOLLOWING.root)) || null;
  }

  function extractFollowers(doc) {
    const anchors = Array.from(doc.querySelectorAll(FOLLOWERS.anchor)).filter(
      (a) => !a.closest(HEADER_CHROME) && !a.closest(FOLLOWING.root),
    );
    const usernames = uniqueValid(anchors.map((a) => roomFromUrl(a.getAttribute("href"))));
    const pagination = followersPagination(doc);
    if (!usernames.length && !pagination && !doc.querySelector(FOLLOWERS.markers)) return null;
    return { usernames, ...readPagination(pagination) };
  }

  function extractListPage(doc, url) {
    const where = describeUrl(url || (doc.location && doc.location.href) || "");
    const result = {
      kind: where.kind,
      list: where.list,
      page: where.page,
      last_page: null,
      active_page: null,
      status: "unrecognised",
      usernames: [],
      header_following: headerFollowing(doc),
    };
    if (where.login) return { ...result, status: "login" };
    if (isChallenge(doc)) return { ...result, status: "challenge" };
    let body = null;
    if (where.kind === "following") body = extractFollowing(doc);
    if (where.kind === "followers") body = extractFollowers(doc);
    if (body) return { ...result, ...body, status: "ok" };
    // The list URL itself may render a login form (session expired without a redirect).
    if (doc.querySelector(LOGIN_FORM)) return { ...result, status: "login" };
    return result;
  }

  MHC.extractListPage = extractListPage;
  MHC.describeListUrl = describeUrl;
})(globalThis);
