//go:build !linux

package gateway

import "syscall"

const canWait = false

func waitReadable(syscall.RawConn) (int, error) { return 0, nil }

func discard(syscall.RawConn, int) error { return nil }
