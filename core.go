package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	edgesync "github.com/edgedesk/edgedesk/sync"
)

// coreCommand is "edgedesk core archive": what an operator sets up at
// the core (edgesync.ArchiveCommand).
func coreCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "archive" {
		return usageError{fmt.Errorf("core: want archive\n%s", edgesync.ArchiveUsage)}
	}
	err := edgesync.ArchiveCommand(ctx, args[1:], stdout, stderr)
	if errors.Is(err, edgesync.ErrUsage) {
		return usageError{err}
	}
	return err
}
