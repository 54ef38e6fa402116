// Package config defines the edgedesk node's configuration and how it is
// assembled: Default, then a YAML file, then EDGEDESK_* environment variables,
// then Validate.
//
// Every key is optional; Default alone runs a complete node on
// 127.0.0.1:8080 with its data under ./data. Environment variables are named
// after the YAML path, upper-cased, with dots replaced by underscores:
// gateway.max_connections is EDGEDESK_GATEWAY_MAX_CONNECTIONS.
//
// Validation errors are *FieldError values that name the key and the bad
// value; Validate joins all of them so an operator sees every mistake at once.
//
// A *Config is immutable once loaded: a reload builds a new one and swaps it
// in (callers keep it behind an atomic.Pointer). This package imports no other
// edgedesk package.
package config
