//go:build !linux

package gateway

import "syscall"

const canWait = false

func waitReadable(syscall.RawConn) error { return nil }
