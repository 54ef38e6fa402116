// Package ratelimit is the token bucket the node's connections share:
// the widget's and the agents' per-connection message limits.
//
// A Bucket is owned by one goroutine (a connection's reader) and is not
// safe for concurrent use; it holds no lock and allocates nothing.
package ratelimit
