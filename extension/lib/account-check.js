/*
 * Whose lists a run would read: the account check that comes before any list page.
 *
 * The followers and following pages show the lists of whoever is logged in to Chaturbate in this
 * browser, and their header carries no username. Read under another account, a complete run
 * would end every follow of ours that account lacks, so the runner first opens the configured
 * account's room page, reads the logged-in name there (MHC.loggedInAs, content/extract-profile.js)
 * and refuses the run, before any list page, unless it is the configured account.
 *
 * Classic script on purpose (no import/export), like lib/list-run.js. Pure.
 *
 *   MHC.accountCheckUrl(account) -> url              the page the check reads
 *   MHC.accountProblem(account, seen) -> code | null  seen: MHC.loggedInAs(...) of that page
 *   MHC.accountSentence(code) -> sentence | null      for the refusal codes below
 *
 * Refusal codes (the run's abort_reason; the panel's list_reasons.py words them too):
 *   "wrong_account:<name>"  logged in as <name>, not as the configured account
 *   "signed_out"            the page shows no logged-in account
 *   "account_unknown"       the page did not show who is logged in (not a room page, site changed)
 *   "login", "challenge"    as for a list page
 */
(function (root) {
  "use strict";

  const MHC = (root.MHC = root.MHC || {});
  const ORIGIN = "https://chaturbate.com";
  const WRONG = "wrong_account:";

  function accountCheckUrl(account) {
    return `${ORIGIN}/${encodeURIComponent(account)}/`;
  }

  // Anything short of "logged in as exactly this account" refuses: an unreadable page must never
  // let someone else's lists be reconciled into ours.
  function accountProblem(account, seen) {
    if (!seen || !seen.status || seen.status === "unrecognised") return "account_unknown";
    if (seen.status === "login" || seen.status === "challenge" || seen.status === "signed_out") return seen.status;
    if (seen.status !== "ok" || !seen.viewer) return "account_unknown";
    return seen.viewer === account ? null : WRONG + seen.viewer;
  }

  function accountSentence(code) {
    const text = String(code || "");
    if (text.startsWith(WRONG)) {
      return (
        `Chaturbate is logged in as ${text.slice(WRONG.length)} in this browser, not as the account ` +
        "these lists are read for; nothing was read. Log in to Chaturbate as that account, or change " +
        "the account in the extension's options."
      );
    }
    if (text === "signed_out") {
      return "Chaturbate shows no logged-in account in this browser; nothing was read. Log in to Chaturbate, then run it again.";
    }
    if (text === "account_unknown") {
      return (
        "The extension could not tell which account is logged in to Chaturbate, so nothing was read " +
        "(the site may have changed)."
      );
    }
    return null;
  }

  MHC.accountCheckUrl = accountCheckUrl;
  MHC.accountProblem = accountProblem;
  MHC.accountSentence = accountSentence;
})(globalThis);
