// Package web serves a node's pages over HTTP: the embeddable chat widget
// (/widget.js: one dependency-free file speaking the widget protocol of
// docs/PROTOCOL.md); when Options.Demo is set, a demo shop with the widget
// on it (/demo); and, on every node, the supervisors' dashboard
// (/dashboard, docs/DASHBOARD.md), which reads the admin stats API with the
// staff sign-in cookie. The files are embedded in the binary and served as
// they are (no build step); compressible ones are gzipped once, at New, and
// served compressed to clients that accept it.
//
// The composition root mounts a Handler in front of its own routes: Serve
// answers the paths it owns and reports false for every other path.
package web
