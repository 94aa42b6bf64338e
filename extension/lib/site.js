/*
 * What every reader of the site needs to know about it, written once: the username rule, which
 * URLs are a room or a login redirect, what a challenge interstitial looks like, and the header's
 * "(ONLINE/TOTAL)" follow counts.
 *
 * Classic script on purpose (no import/export), like the extractors that use it: the runner
 * injects it before them (chrome.scripting files: [lib/site.js, content/extract-*.js]), the popup
 * loads it before popup.js, and the Playwright tests add it to the page first. Pure: it only reads
 * what it is given.
 *
 *   MHC.site.ORIGIN                          "https://chaturbate.com"
 *   MHC.site.parseUrl(url) -> URL | null     (relative URLs resolve against the site)
 *   MHC.site.normaliseUsername(raw) -> name | null
 *   MHC.site.roomFromUrl(url) -> name | null  ("/<name>/" on the site; anything deeper -> null)
 *   MHC.site.isLoginUrl(u) -> boolean         (u: a parsed URL)
 *   MHC.site.isChallenge(doc) -> boolean
 *   MHC.site.headerFollowing(doc) -> {online, total} | null
 *
 * The username rule is service/usernames.py's; tests/browser/extractors/test_site.py checks they agree.
 */
(function (root) {
  "use strict";

  const MHC = (root.MHC = root.MHC || {});

  const ORIGIN = "https://chaturbate.com";
  const USERNAME_RE = /^[a-z0-9_]{1,40}$/;

  // Site sections whose links look like "/<name>/" but are not rooms; the followers page has
  // "/accounts/…", "/tipping/…" and "/supporter/…" links beside the follower anchors. Only paths
  // seen on the site are listed: a guessed entry would silently drop a real user of that name.
  const RESERVED_SLUGS = new Set([
    "accounts", "auth", "tipping", "supporter", "tag", "tags", "photo_videos", "socials", "external_link",
  ]);

  // Interstitials — fixture: lists/edge-challenge.html. Either sign is enough: the title alone
  // misses a challenge that renders under the site's own title, the markers alone one that has
  // not rendered its widgets yet.
  const CHALLENGE = {
    title: /^\s*just a moment/i,
    markers: "#challenge-running, #challenge-stage, #challenge-form",
  };

  // Site chrome present on every page — fixtures: every lists/*.html and profiles/*.html.
  // The following tab reads "(ONLINE/TOTAL)".
  const HEADER_COUNTS = '#followed_anchor .followed_counts, [data-testid="following-tab"] .followed_counts';

  function parseUrl(url) {
    try {
      return new URL(url, ORIGIN);
    } catch (_err) {
      return null;
    }
  }

  function normaliseUsername(raw) {
    const name = String(raw || "").trim().toLowerCase();
    return USERNAME_RE.test(name) && !RESERVED_SLUGS.has(name) ? name : null;
  }

  function roomFromUrl(url) {
    const u = parseUrl(url || "");
    if (!u || !/(^|\.)chaturbate\.com$/.test(u.hostname)) return null;
    const m = /^\/([^/]+)\/?$/.exec(u.pathname);
    if (!m) return null;
    try {
      return normaliseUsername(decodeURIComponent(m[1]));
    } catch (_err) {
      return null; // malformed %-escape: not a username anyway
    }
  }

  function isLoginUrl(u) {
    return u.pathname.startsWith("/auth/login") || (u.pathname === "/" && u.searchParams.has("next"));
  }

  function isChallenge(doc) {
    return CHALLENGE.title.test(doc.title || "") || Boolean(doc.querySelector(CHALLENGE.markers));
  }

  function headerFollowing(doc) {
    const el = doc.querySelector(HEADER_COUNTS);
    const m = el && /\(\s*([\d,]+)\s*\/\s*([\d,]+)\s*\)/.exec(el.textContent);
    if (!m) return null;
    const num = (s) => Number.parseInt(s.replace(/,/g, ""), 10);
    return { online: num(m[1]), total: num(m[2]) };
  }

  MHC.site = { ORIGIN, parseUrl, normaliseUsername, roomFromUrl, isLoginUrl, isChallenge, headerFollowing };
})(globalThis);
