package translate

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
)

// Apertium is an Apertium APY server (apertium-apy): GET /listPairs for the
// installed pairs, POST /translate with form fields langpair=spa|eng, q and
// markUnknown=no (unknown words come back unmarked). Languages are ISO 639-3
// codes, some with a variant (por_BR, cat_valencia).
type Apertium struct {
	URL    string // base URL, e.g. http://127.0.0.1:2737
	Client *http.Client

	mu sync.Mutex
	// The codes /listPairs named as sources and as targets, for variants:
	// hbs translates into hbs_SR, but only hbs translates from.
	srcs, tgts map[string]bool
}

// Name implements Provider.
func (a *Apertium) Name() string { return "apertium" }

// Pairs implements Provider from GET /listPairs.
func (a *Apertium) Pairs(ctx context.Context) ([]Pair, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(a.URL, "/")+"/listPairs", nil)
	if err != nil {
		return nil, fmt.Errorf("%w: apertium: %w", ErrProvider, err)
	}
	var out struct {
		ResponseData []struct {
			Source string `json:"sourceLanguage"`
			Target string `json:"targetLanguage"`
		} `json:"responseData"`
	}
	if err := do(a.Client, req, &out); err != nil {
		return nil, err
	}
	srcs, tgts := map[string]bool{}, map[string]bool{}
	seen := map[Pair]bool{}
	var pairs []Pair
	for _, p := range out.ResponseData {
		srcs[p.Source], tgts[p.Target] = true, true
		for _, from := range nodeLangs(p.Source) {
			for _, to := range nodeLangs(p.Target) {
				if pp := (Pair{from, to}); !seen[pp] {
					seen[pp] = true
					pairs = append(pairs, pp)
				}
			}
		}
	}
	a.mu.Lock()
	a.srcs, a.tgts = srcs, tgts
	a.mu.Unlock()
	return pairs, nil
}

// Apertium's Serbo-Croatian pairs (apertium-hbs-eng) name the
// macrolanguage, hbs, with variants hbs_SR, hbs_HR, hbs_BS.
var hbs = map[string]string{"sr": "SR", "hr": "HR", "bs": "BS"}

// nodeLangs returns the node's languages an APY code stands for.
func nodeLangs(code string) []string {
	if base(code) == "hbs" {
		return []string{"sr", "hr", "bs"}
	}
	return []string{fromISO3(code)}
}

// code returns the APY code of tag: the variant /listPairs named for its
// region (pt-BR → por_BR) if any, else the plain ISO 639-3 code.
func (a *Apertium) code(tag string, source bool) string {
	a.mu.Lock()
	codes := a.tgts
	if source {
		codes = a.srcs
	}
	a.mu.Unlock()
	if v, ok := hbs[base(tag)]; ok {
		plain, variant := codes["hbs"], codes["hbs_"+v]
		switch {
		case variant:
			return "hbs_" + v
		case plain:
			return "hbs"
		}
	}
	c := toISO3(tag)
	if r := region(tag); r != "" && codes[c+"_"+r] {
		return c + "_" + r
	}
	return c
}

// markRE finds Apertium's marks on words it could not handle: * unknown
// (markUnknown=no drops those), # not generated, @ not in the bilingual
// dictionary — a mark at the start of a word, before a letter.
var markRE = regexp.MustCompile(`(^|[\s\p{P}\p{S}])[*#@](\pL)`)

// Translate implements Provider.
func (a *Apertium) Translate(ctx context.Context, text, from, to string) (string, error) {
	form := url.Values{"langpair": {a.code(from, true) + "|" + a.code(to, false)}, "q": {text}, "markUnknown": {"no"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(a.URL, "/")+"/translate", strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("%w: apertium: %w", ErrProvider, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var out struct {
		ResponseData struct {
			TranslatedText string `json:"translatedText"`
		} `json:"responseData"`
		ResponseStatus int `json:"responseStatus"`
	}
	if err := do(a.Client, req, &out); err != nil {
		return "", err
	}
	if out.ResponseStatus != http.StatusOK {
		return "", fmt.Errorf("%w: apertium: responseStatus %d", ErrProvider, out.ResponseStatus)
	}
	t := strings.TrimSpace(markRE.ReplaceAllString(out.ResponseData.TranslatedText, "$1$2"))
	if t == "" {
		return "", fmt.Errorf("%w: apertium: %w", ErrProvider, errEmpty)
	}
	return t, nil
}
