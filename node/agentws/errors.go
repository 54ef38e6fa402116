package agentws

import "errors"

// ErrShuttingDown is returned by Shutdown when agent connections were
// still open at its deadline.
var ErrShuttingDown = errors.New("agentws: agent connections still open at shutdown deadline")
