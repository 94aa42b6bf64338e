/*
 * Pure extraction of one Chaturbate room (profile) page.
 *
 * Classic script on purpose (no import/export): it runs as a content script and is injected
 * as-is by the Playwright tests, after lib/site.js (MHC.site: the username rule, login and
 * challenge pages, the header counts). It only reads the document it is given; no DOM writes, no I/O.
 *
 *   MHC.extractProfile(doc, url) -> {
 *     username, follow_status: "following"|"not_following"|"unknown", online: true|false|null,
 *     bio: {<key>: string}, social_links: [{platform, url, locked, price_tokens}],
 *     wishlist: [url], photosets: [{id, title, locked, is_video}],
 *     header_following: {online, total} | null, dossier_matches_page: boolean,
 *   }                                  (the shape of tests/fixtures/site/profiles/*.expected.json)
 *   MHC.parseRoomDossier(doc) -> object | null      (window.initialRoomDossier, never evaluated)
 *   MHC.profilePageStatus(doc, url) -> "ok" | "login" | "challenge" | "unrecognised"
 *   MHC.loggedInAs(doc, url) -> {status: "ok"|"signed_out"|"login"|"challenge"|"unrecognised", viewer}
 *
 * The room is the one the DOM shows. The embedded dossier is a page-load snapshot that goes
 * stale after SPA navigation, so it is only compared, never used for following/online.
 *
 * Test URLs: https://chaturbate.com/<room>/. How to test: tests/browser/extractors/test_extract_profile.py.
 */
(function (root) {
  "use strict";

  const MHC = (root.MHC = root.MHC || {});
  const { parseUrl, normaliseUsername, roomFromUrl, isLoginUrl, isChallenge, headerFollowing } = MHC.site;

  // Room identity — fixtures: profiles/*.html (og:url and canonical are updated on SPA
  // navigation; the dossier and the inline roomName config are not).
  const IDENTITY = {
    ogUrl: 'meta[property="og:url"]',
    canonical: 'link[rel="canonical"]',
  };

  // Follow and online state — fixtures: profile-followed-offline.html (unfollow inline,
  // offline container block), profile-not-followed-online.html (follow inline, container none),
  // tests/fixtures/site/profiles/profile-follow-buttons-hidden.html (both none -> unknown).
  const STATE = {
    tabBar: '[data-testid="room-tab-bar"]',
    follow: '[data-testid="follow-button"]',
    unfollow: '[data-testid="unfollow-button"]',
    offlineContainer: '[data-testid="offline-content-container"]',
  };

  // Bio table — fixtures: profile-followed-offline.html (17 rows, about-me and wish-list on an
  // inner div), tests/fixtures/site/profiles/profile-minimal-offline.html (4 rows).
  // social-media, videos, pictures and wish-list rows have their own output fields.
  const BIO = {
    contents: '[data-testid="room-bio-tab-contents"]',
    value: '[data-testid^="bio-tab-"][data-testid$="-value"]',
    key: /^bio-tab-(.+)-value$/,
    ownFields: new Set(["social-media", "videos", "pictures", "wish-list"]),
    wishlistLinks: '[data-testid="bio-tab-wish-list-value"] a[href]',
  };

  // Social links — fixtures: profile-followed-offline.html (1 free with a doubled URL, 2 locked),
  // profile-not-followed-online.html (1 locked). The footer a[data-testid="twitter-x"] is chrome.
  const SOCIAL = {
    cell: '[data-testid="bio-tab-social-media-value"]',
    item: 'a[data-testid="social-media-item"]',
    icon: 'img[data-testid="social-media-preview"]',
    iconName: /\/socials\/([a-z0-9_-]+)\.[a-z]+(?:[?#]|$)/i,
    badge: '[data-testid="social-media-tokens-badge"]',
  };

  // Photo sets — fixtures: profile-followed-offline.html (14, 7 locked, 6 videos + Show More),
  // profile-not-followed-online.html (6, 5 locked videos). The #PhotoVideos tab is empty until
  // opened; if it was opened its items repeat the bio ones, hence the dedupe by id.
  const PHOTOSETS = {
    item: 'a[data-testid="photo-video-item"]',
    id: /\/photoset\/detail\/[^/]+\/(\d+)/,
    title: '[data-testid="title"]',
    locked: 'img[data-testid="lock-icon"], [data-testid="token-badge"]',
    videoIcon: /\/video\.svg(?:[?#]|$)/,
  };

  const DOSSIER_RE = /initialRoomDossier\s*=\s*(["'])((?:\\[\s\S]|(?!\1)[^\\])*)\1/;

  function pageUsername(doc, url) {
    const og = doc.querySelector(IDENTITY.ogUrl);
    const canonical = doc.querySelector(IDENTITY.canonical);
    return (
      roomFromUrl(og && og.getAttribute("content")) ||
      roomFromUrl(canonical && canonical.getAttribute("href")) ||
      roomFromUrl(url || (doc.location && doc.location.href))
    );
  }

  // The inline style attribute, parsed by hand so the result is the same in a live tab and in
  // a parsed document; the site toggles these buttons and containers with inline display.
  function inlineDisplay(el) {
    const m = el && /(?:^|;)\s*display\s*:\s*([^;!]+)/i.exec(el.getAttribute("style") || "");
    return m ? m[1].trim().toLowerCase() : "";
  }

  const isShown = (el) => !["", "none"].includes(inlineDisplay(el));
  const isHidden = (el) => inlineDisplay(el) === "none";

  function followStatus(doc) {
    const scope = doc.querySelector(STATE.tabBar) || doc;
    const follow = scope.querySelector(STATE.follow);
    const unfollow = scope.querySelector(STATE.unfollow);
    // Both buttons always exist; only "exactly one shown" says anything.
    if (isShown(unfollow) && isHidden(follow)) return "following";
    if (isShown(follow) && isHidden(unfollow)) return "not_following";
    return "unknown";
  }

  function onlineStatus(doc) {
    const container = doc.querySelector(STATE.offlineContainer);
    if (isHidden(container)) return true;
    if (isShown(container)) return false;
    return null;
  }

  // A cell's text nodes, each trimmed, joined by one space: <br> and paragraph breaks become a
  // space, where textContent would glue the words together.
  function cellText(el) {
    const walker = el.ownerDocument.createTreeWalker(el, 4 /* NodeFilter.SHOW_TEXT */);
    const parts = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.nodeValue.trim();
      if (text && !node.parentElement.closest("script, style")) parts.push(text);
    }
    return parts.join(" ");
  }

  function bioRows(doc) {
    const scope = doc.querySelector(BIO.contents) || doc;
    const bio = {};
    for (const cell of scope.querySelectorAll(BIO.value)) {
      const key = BIO.key.exec(cell.getAttribute("data-testid"))[1];
      if (!BIO.ownFields.has(key) && !(key in bio)) bio[key] = cellText(cell);
    }
    return bio;
  }

  // Off-site links go through /external_link/?url=<encoded>; the link text is not reliable
  // (the wish-list capture had a stray space in it).
  function externalUrl(href) {
    const u = parseUrl(href || "");
    return u && u.pathname.startsWith("/external_link/") ? u.searchParams.get("url") : null;
  }

  function tokenCount(el) {
    const digits = el ? el.textContent.replace(/\D/g, "") : "";
    return digits ? Number.parseInt(digits, 10) : null;
  }

  function socialPlatform(a) {
    const icon = a.querySelector(SOCIAL.icon);
    const m = icon && SOCIAL.iconName.exec(icon.getAttribute("src") || "");
    if (m) return m[1].toLowerCase();
    // Title is "<Platform> - <Free|1 Month|Lifetime>" when the icon is missing.
    const title = (a.getAttribute("title") || "").split(" - ")[0];
    return title.trim().toLowerCase().replace(/\s+/g, "") || null;
  }

  function socialLinks(doc) {
    const scope = doc.querySelector(SOCIAL.cell) || doc.querySelector(BIO.contents);
    if (!scope) return [];
    return Array.from(scope.querySelectorAll(SOCIAL.item), (a) => {
      const url = externalUrl(a.getAttribute("href"));
      return {
        platform: socialPlatform(a),
        url,
        locked: url === null,
        price_tokens: tokenCount(a.querySelector(SOCIAL.badge)),
      };
    });
  }

  function wishlist(doc) {
    return Array.from(doc.querySelectorAll(BIO.wishlistLinks), (a) => {
      const href = a.getAttribute("href");
      const u = parseUrl(href);
      return externalUrl(href) || (u ? u.href : href);
    });
  }

  function photoset(a) {
    const m = PHOTOSETS.id.exec(a.getAttribute("href") || "");
    if (!m) return null;
    const titleEl = a.querySelector(PHOTOSETS.title);
    const icons = Array.from(a.querySelectorAll("img[src]"), (img) => img.getAttribute("src"));
    return {
      id: m[1],
      title: titleEl ? titleEl.textContent.trim() : (a.getAttribute("title") || "").trim(),
      locked: Boolean(a.querySelector(PHOTOSETS.locked)),
      is_video: icons.some((src) => PHOTOSETS.videoIcon.test(src)),
    };
  }

  function photosets(doc) {
    const seen = new Set();
    const out = [];
    for (const set of Array.from(doc.querySelectorAll(PHOTOSETS.item), photoset)) {
      if (set && !seen.has(set.id)) {
        seen.add(set.id);
        out.push(set);
      }
    }
    return out;
  }

  // Body of a JS string literal -> its value. Django's escapejs emits \uXXXX; the rest of the
  // JS escapes are handled so a change of escaper does not silently lose the dossier.
  function decodeJsString(body) {
    const simple = { n: "\n", r: "\r", t: "\t", b: "\b", f: "\f", v: "\v", 0: "\0" };
    return body.replace(/\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r\n|[\s\S])/g, (_all, esc) => {
      if (esc[0] === "u" && esc[1] === "{") return String.fromCodePoint(Number.parseInt(esc.slice(2, -1), 16));
      if (esc[0] === "u" || esc[0] === "x") return String.fromCharCode(Number.parseInt(esc.slice(1), 16));
      if (esc === "\r\n" || esc === "\n" || esc === "\r") return ""; // line continuation
      return Object.prototype.hasOwnProperty.call(simple, esc) ? simple[esc] : esc;
    });
  }

  // Reads the <script> text rather than window.initialRoomDossier: a content script lives in an
  // isolated world and cannot see page globals, and nothing here evaluates page code.
  function parseRoomDossier(doc) {
    for (const script of doc.querySelectorAll("script:not([src])")) {
      const m = DOSSIER_RE.exec(script.textContent || "");
      if (!m) continue;
      try {
        const value = JSON.parse(decodeJsString(m[2]));
        return value && typeof value === "object" ? value : null;
      } catch (_err) {
        return null;
      }
    }
    return null;
  }

  function extractProfile(doc, url) {
    const username = pageUsername(doc, url);
    const dossier = parseRoomDossier(doc);
    const dossierRoom = dossier ? String(dossier.broadcaster_username || "").toLowerCase() : "";
    return {
      username,
      follow_status: followStatus(doc),
      online: onlineStatus(doc),
      bio: bioRows(doc),
      social_links: socialLinks(doc),
      wishlist: wishlist(doc),
      photosets: photosets(doc),
      header_following: headerFollowing(doc),
      dossier_matches_page: Boolean(username) && dossierRoom === username,
    };
  }

  // Whether the document is a room page at all; the runner checks this before trusting
  // extractProfile (whose shape has no status field).
  function profilePageStatus(doc, url) {
    const u = parseUrl(url || (doc.location && doc.location.href) || "");
    if (u && isLoginUrl(u)) return "login";
    if (isChallenge(doc)) return "challenge";
    const looksLikeRoom = doc.querySelector(BIO.contents) || doc.querySelector(STATE.follow);
    return looksLikeRoom && pageUsername(doc, url) ? "ok" : "unrecognised";
  }

  // Who is logged in — fixtures: profiles/*.html (dossier `viewer_username` "example_viewer").
  // Unlike the room fields, the viewer does not go stale on SPA navigation: signing in or out
  // reloads the site. No captured list page shows the logged-in name (their header holds only the
  // following tab), so a list run asks a room page first (background/runner.js).
  function loggedInAs(doc, url) {
    const u = parseUrl(url || (doc.location && doc.location.href) || "");
    if (u && isLoginUrl(u)) return { status: "login", viewer: null };
    if (isChallenge(doc)) return { status: "challenge", viewer: null };
    const dossier = parseRoomDossier(doc);
    if (!dossier || !Object.prototype.hasOwnProperty.call(dossier, "viewer_username")) {
      return { status: "unrecognised", viewer: null };
    }
    const viewer = normaliseUsername(dossier.viewer_username);
    return { status: viewer ? "ok" : "signed_out", viewer };
  }

  MHC.extractProfile = extractProfile;
  MHC.loggedInAs = loggedInAs;
  MHC.parseRoomDossier = parseRoomDossier;
  MHC.profilePageStatus = profilePageStatus;
})(globalThis);
