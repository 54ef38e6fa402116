package gateway

import (
	"sync"
	"time"
)

// tzCache remembers time zone names that loaded: time.LoadLocation reads the
// zone database from disk on every call. Only valid names are cached, so its
// size is bounded by the database (about 600 zones).
var tzCache sync.Map

func validTZ(name string) bool {
	if _, ok := tzCache.Load(name); ok {
		return true
	}
	if _, err := time.LoadLocation(name); err != nil || name == "Local" {
		return false
	}
	tzCache.Store(name, struct{}{})
	return true
}
