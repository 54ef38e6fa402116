// Package translate translates chat messages between a customer's language
// and an agent's, through machine-translation providers chosen in config:
// Apertium APY (open source, on the merchant's own machine),
// LibreTranslate-compatible servers, DeepL and Google Cloud Translation v2.
//
// A Service chains the providers: a pair the first lacks goes to the next,
// and where a pivot language is configured a pair nobody has directly goes
// through it (fr→en as fr→es→en). Each provider sits behind its own circuit
// breaker (closed, open, half-open with one probe), every call is bounded by
// the service's timeout, and results are cached in bbolt, keyed by
// provider route, pair, glossary version and text.
//
// The merchant's glossary is applied around the provider: terms that must
// never be translated (brands, products) and forced translations per pair
// are replaced with placeholders that machine translation passes through
// (ZXQ<n>Q: an unknown word to every engine; Apertium's unknown-word marks
// *, # and @ are stripped on the way back) and restored afterwards.
//
// Translation never fails a message: Translate always returns a Result, and
// one whose Status is not StatusTranslated tells the caller to deliver the
// original untranslated, marked so.
//
// The package imports no other edgedesk package but config; conversation
// logic calls it through interfaces it defines itself. A Service is safe
// for concurrent use.
package translate
