// Package e2e holds the browser tests of the customer's side: the chat
// widget (node/web) on the demo shop, driven in a real Chromium through
// Playwright against a real node started in-process. The Go test
// (browser_test.go) installs what it needs (Debian's chromium when it is
// missing and the test runs as root; playwright-core and axe-core from
// package-lock.json with npm ci) and runs widget.spec.mjs with plain node.
//
// dashboard.spec.mjs (dashboard_test.go) does the same for the supervisor
// dashboard (/dashboard), with a supervisor's and an agent's sign-in cookie.
//
// Without a browser or npm the test skips, unless CI is set: then it fails.
// EDGEDESK_UPDATE_SCREENSHOTS=1 rewrites docs/screenshots/*.png.
package e2e
