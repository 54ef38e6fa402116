// Package e2e holds the browser tests: real Chromium, driven through
// Playwright (playwright-core, no bundled browser) by plain node scripts,
// against a real node started in-process. One harness (browser_test.go)
// serves them all: needBrowser installs what is missing (Debian's
// chromium when the test runs as root; playwright-core and axe-core from
// package-lock.json with npm ci), startNode / startNodeWith start the node
// (the demo shop on, agent groups uk-en and es), runSpec runs a spec with
// BASE, CHROMIUM, SHOTS and FAILS; staff_test.go builds the edgedesk binary
// once and creates staff accounts with `edgedesk staff add`, as an admin
// does, against the running node's data directory.
//
//   - widget.spec.mjs (TestWidgetInBrowser): the customer's chat widget on
//     the demo shop.
//   - console.spec.mjs (TestConsoleInBrowser): the agent console
//     (/console), agents and a supervisor signing in through its form.
//   - dashboard.spec.mjs (TestDashboardInBrowser): the supervisor
//     dashboard (/dashboard), with sign-in cookies (the sign-in flow is
//     the team spec's).
//   - team.spec.mjs (TestTeamInBrowser): issue 14's story on one node, from
//     `edgedesk staff add` to the customer's rating on the live dashboard,
//     and the refusals: the sign-in rate limit, an agent on /dashboard, an
//     expired cookie, cross-site POSTs.
//
// Without a browser or npm the tests skip, unless CI is set or they run as
// root: then they fail. EDGEDESK_UPDATE_SCREENSHOTS=1 rewrites
// docs/screenshots/*.png.
package e2e
