//go:build !linux

package gateway

import "syscall"

const canWait = false

func waitReadable(syscall.RawConn) (head, error) { return head{}, nil }

func discard(syscall.RawConn, int) error { return nil }
