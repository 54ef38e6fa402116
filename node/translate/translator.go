package translate

import "context"

// Status says what became of a translation.
type Status string

// The statuses of a Result, as stored in a message's translation.
const (
	// StatusTranslated: Text is the translation.
	StatusTranslated Status = "translated"
	// StatusUnavailable: every provider for the pair failed, timed out or
	// had its breaker open; deliver the original, marked untranslated.
	StatusUnavailable Status = "unavailable"
	// StatusUnsupported: no provider (nor the pivot) covers the pair.
	StatusUnsupported Status = "unsupported"
)

// Result is the outcome of one translation. Text is empty unless Status is
// StatusTranslated.
type Result struct {
	Text     string
	From, To string // the languages asked for (BCP 47)
	// Provider names the provider route that translated: "apertium", or
	// "apertium+deepl" through the pivot.
	Provider string
	Status   Status
	Cached   bool
}

// Translator translates text between two BCP 47 languages. Translate never
// returns an error: a Result whose Status is not StatusTranslated says why
// there is no translation, and the caller delivers the original. It
// returns within the context's deadline and the translator's own timeout.
type Translator interface {
	Translate(ctx context.Context, text, from, to string) Result
}

// Provider is one machine-translation engine. Pairs lists what it
// translates (nil: it does not say, so every pair is tried); Translate
// returns ErrUnsupported for a pair it lacks and wraps ErrProvider for its
// failures. Languages are BCP 47 tags; each provider maps them to its codes.
type Provider interface {
	Name() string
	Pairs(ctx context.Context) ([]Pair, error)
	Translate(ctx context.Context, text, from, to string) (string, error)
}

// Pair is a translation direction in base languages (ISO 639-1 where one
// exists: "es", "en").
type Pair struct{ From, To string }
