package translate

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// maxResponseBytes bounds what a provider's answer may make the node read:
// a chat message's translation is a few KB.
const maxResponseBytes = 1 << 20

// do sends req and decodes a 2xx JSON answer into out. Any other status
// wraps ErrProvider with the status and the start of the body (providers
// explain themselves there); a 400 that says the pair is not available
// wraps ErrUnsupported instead, so the chain moves on without counting a
// failure.
func do(c *http.Client, req *http.Request, out any) error {
	resp, err := c.Do(req)
	if err != nil {
		// A *url.Error names the whole URL, query and key included: keep
		// only its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("%w: %s %s: %w", ErrProvider, req.Method, redactURL(req), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return fmt.Errorf("%w: %s %s: reading the answer: %w", ErrProvider, req.Method, redactURL(req), err)
	}
	if len(body) > maxResponseBytes {
		return fmt.Errorf("%w: %s %s: answer over %d bytes", ErrProvider, req.Method, redactURL(req), maxResponseBytes)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		snippet := strings.TrimSpace(string(body))
		if len(snippet) > 200 {
			snippet = snippet[:200] + "…"
		}
		if resp.StatusCode == http.StatusBadRequest && unsupportedMessage(snippet) {
			return fmt.Errorf("%w: %s", ErrUnsupported, snippet)
		}
		return fmt.Errorf("%w: %s %s: HTTP %d: %s", ErrProvider, req.Method, redactURL(req), resp.StatusCode, snippet)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%w: %s %s: answer is not the documented JSON: %w", ErrProvider, req.Method, redactURL(req), err)
	}
	return nil
}

// unsupportedMessage recognises the providers' "no such pair" answers
// (Apertium: "That pair is not installed"; LibreTranslate: "… is not
// supported"; DeepL and Google: "… not supported" / "Bad language pair").
func unsupportedMessage(s string) bool {
	s = strings.ToLower(s)
	return strings.Contains(s, "not installed") || strings.Contains(s, "not supported") ||
		strings.Contains(s, "bad language pair") || strings.Contains(s, "invalid value") && strings.Contains(s, "lang")
}

// redactURL is the request's URL without its query, which may hold a key.
func redactURL(req *http.Request) string {
	u := *req.URL
	u.RawQuery = ""
	return u.String()
}

var errEmpty = errors.New("empty translation")
