package model

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// RuntimeVersion is the ONNX Runtime release onnxruntime_go v1.35.0 is built
// against (C API version 29).
const RuntimeVersion = "1.29"

// EnvRuntimeLib is the environment variable that names the library.
const EnvRuntimeLib = "EDGEDESK_ORT_LIB"

var runtimeState struct {
	mu   sync.Mutex
	path string
}

// InitRuntime loads the ONNX Runtime shared library once per process. A
// second call with the same path is a no-op; with another path it fails.
// Errors wrap ErrRuntimeMissing when the file is absent or cannot be loaded
// and ErrRuntimeVersion when it is not ONNX Runtime 1.29.x.
func InitRuntime(libPath string) error {
	runtimeState.mu.Lock()
	defer runtimeState.mu.Unlock()
	if libPath == "" {
		return fmt.Errorf("%w: empty library path", ErrRuntimeMissing)
	}
	abs, err := filepath.Abs(libPath)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrRuntimeMissing, libPath, err)
	}
	if runtimeState.path != "" {
		if runtimeState.path == abs {
			return nil
		}
		return fmt.Errorf("%w: ONNX Runtime already loaded from %s, cannot load %s", ErrBadConfig, runtimeState.path, abs)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrRuntimeMissing, abs, err)
	}
	if st.IsDir() {
		return fmt.Errorf("%w: %s is a directory", ErrRuntimeMissing, abs)
	}
	ort.SetSharedLibraryPath(abs)
	if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
		msg := err.Error()
		if strings.Contains(msg, "ORT API base: 2") {
			return fmt.Errorf("%w: %s does not provide ONNX Runtime C API 29 (%s.x): %v", ErrRuntimeVersion, abs, RuntimeVersion, err)
		}
		return fmt.Errorf("%w: %s: %v", ErrRuntimeMissing, abs, err)
	}
	if err := checkVersion(ort.GetVersion()); err != nil {
		_ = ort.DestroyEnvironment()
		return fmt.Errorf("%s: %w", abs, err)
	}
	runtimeState.path = abs
	return nil
}

// RuntimeLoaded returns the path InitRuntime loaded, or "".
func RuntimeLoaded() string {
	runtimeState.mu.Lock()
	defer runtimeState.mu.Unlock()
	return runtimeState.path
}

// LocateRuntime finds the ONNX Runtime library: $EDGEDESK_ORT_LIB if set,
// else .cache/ort/libonnxruntime.so.1 in the working directory or any of its
// parents (where scripts/fetch-ort.sh puts it), else next to the executable.
func LocateRuntime() (string, error) {
	if p := os.Getenv(EnvRuntimeLib); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%w: %s=%s: %v", ErrRuntimeMissing, EnvRuntimeLib, p, err)
		}
		return p, nil
	}
	const rel = ".cache/ort/libonnxruntime.so.1"
	var dirs []string
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			dirs = append(dirs, d)
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if exe, err := os.Executable(); err == nil {
		dirs = append(dirs, filepath.Dir(exe))
	}
	for _, d := range dirs {
		p := filepath.Join(d, rel)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: %s is unset and no %s was found", ErrRuntimeMissing, EnvRuntimeLib, rel)
}

func runtimeReady() error {
	if !ort.IsInitialized() {
		return ErrRuntimeNotInitialized
	}
	return nil
}

// checkVersion accepts ONNX Runtime 1.29.x only.
func checkVersion(v string) error {
	if !strings.HasPrefix(v, RuntimeVersion+".") {
		return fmt.Errorf("%w: library is ONNX Runtime %q, need %s.x", ErrRuntimeVersion, v, RuntimeVersion)
	}
	return nil
}
