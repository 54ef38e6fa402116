package model

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

var runtimeOnce struct {
	sync.Once
	err  error
	path string
}

// requireRuntime loads ONNX Runtime for the test. It finds the library via
// $EDGEDESK_ORT_LIB or .cache/ort/ (scripts/fetch-ort.sh) and skips the
// test only when neither exists.
func requireRuntime(tb testing.TB) {
	tb.Helper()
	runtimeOnce.Do(func() {
		p, err := LocateRuntime()
		if err != nil {
			runtimeOnce.err = err
			return
		}
		runtimeOnce.path = p
		runtimeOnce.err = InitRuntime(p)
	})
	if runtimeOnce.path == "" {
		tb.Skipf("ONNX Runtime not found (run scripts/fetch-ort.sh): %v", runtimeOnce.err)
	}
	if runtimeOnce.err != nil {
		tb.Fatalf("InitRuntime(%s): %v", runtimeOnce.path, runtimeOnce.err)
	}
}

// sharedData returns the path of a file under ../shared/data, skipping the
// test when the shared tree is absent.
func sharedData(tb testing.TB, rel string) string {
	tb.Helper()
	p := filepath.Join("..", "..", "shared", "data", rel)
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("shared data not available: %v", err)
	}
	return p
}

func isErr(err, target error) bool { return errors.Is(err, target) }

func osMkdirTemp() (string, error) { return os.MkdirTemp("", "edgedesk-model-test-") }
